<?php
/**
 * A transport that records requests and answers from a script (unit tests only).
 */

declare(strict_types=1);

namespace Switchyard\Bridge\Tests;

use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Response;
use Switchyard\Bridge\Transport\TransportInterface;

final class RecordingTransport implements TransportInterface
{
    /** @var list<array{method: string, url: string, headers: array<string, string>, body: ?string, timeout: float, connect: float, socket: ?string}> */
    public $requests = [];
    /** @var list<Response|\Throwable> */
    private $answers;

    /** @param list<Response|\Throwable> $answers */
    public function __construct(array $answers)
    {
        $this->answers = $answers;
    }

    public function send(
        string $method,
        string $url,
        array $headers,
        ?string $body,
        float $timeout,
        float $connectTimeout,
        ?string $socket
    ): Response {
        $this->requests[] = [
            'method' => $method,
            'url' => $url,
            'headers' => $headers,
            'body' => $body,
            'timeout' => $timeout,
            'connect' => $connectTimeout,
            'socket' => $socket,
        ];
        $answer = array_shift($this->answers);
        if ($answer === null) {
            throw BridgeException::unreachable('no scripted answer left');
        }
        if ($answer instanceof \Throwable) {
            throw $answer;
        }
        return $answer;
    }

    public function last(): array
    {
        return $this->requests[count($this->requests) - 1];
    }
}
