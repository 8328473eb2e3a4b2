<?php
/**
 * How the client sends one HTTP request.
 */

declare(strict_types=1);

namespace Switchyard\Bridge\Transport;

use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Response;

/**
 * Sends one request and returns the answer, whatever its status.
 *
 * Implementations throw BridgeException::unreachable() when no HTTP answer came
 * (refused, timed out, socket missing); they never throw anything else.
 */
interface TransportInterface
{
    /**
     * @param string $method HTTP method.
     * @param string $url Absolute http(s) URL.
     * @param array<string, string> $headers Request headers.
     * @param string|null $body Raw body (already encoded), or null.
     * @param float $timeout Whole-call timeout in seconds.
     * @param float $connectTimeout Connect timeout in seconds.
     * @param string|null $socket Unix socket path to connect to instead of the URL's host.
     * @throws BridgeException when there was no HTTP answer.
     */
    public function send(
        string $method,
        string $url,
        array $headers,
        ?string $body,
        float $timeout,
        float $connectTimeout,
        ?string $socket
    ): Response;
}
