<?php
/**
 * A raw HTTP answer from the bridge.
 */

declare(strict_types=1);

namespace Switchyard\Bridge;

/**
 * Status, lower-cased headers and body of one answer, as a transport returns it.
 */
final class Response
{
    /** @var int */
    public $status;
    /** @var array<string, string> header names lower-cased */
    public $headers;
    /** @var string */
    public $body;

    /**
     * @param array<string, string> $headers
     */
    public function __construct(int $status, array $headers, string $body)
    {
        $this->status = $status;
        $lower = [];
        foreach ($headers as $name => $value) {
            $lower[strtolower((string) $name)] = $value;
        }
        $this->headers = $lower;
        $this->body = $body;
    }

    public function header(string $name): ?string
    {
        return $this->headers[strtolower($name)] ?? null;
    }

    public function isSuccess(): bool
    {
        return $this->status >= 200 && $this->status < 300;
    }
}
