<?php
/**
 * The transport used outside WordPress: PHP's curl extension.
 */

declare(strict_types=1);

namespace Switchyard\Bridge\Transport;

use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Response;

/**
 * Sends requests with ext-curl; supports unix sockets (CURLOPT_UNIX_SOCKET_PATH).
 */
final class CurlTransport implements TransportInterface
{
    public function send(
        string $method,
        string $url,
        array $headers,
        ?string $body,
        float $timeout,
        float $connectTimeout,
        ?string $socket
    ): Response {
        if (!function_exists('curl_init')) {
            throw BridgeException::unreachable('the PHP curl extension is not installed');
        }
        $handle = curl_init();
        if ($handle === false) {
            throw BridgeException::unreachable('curl_init failed');
        }
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        // No "Expect: 100-continue" round trip on larger bodies.
        $lines[] = 'Expect:';
        $responseHeaders = [];
        $options = [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => max(1, (int) round($timeout * 1000)),
            CURLOPT_CONNECTTIMEOUT_MS => max(1, (int) round($connectTimeout * 1000)),
            CURLOPT_NOSIGNAL => true,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$responseHeaders): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $responseHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
                }
                return strlen($line);
            },
        ];
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = $body;
        }
        if ($method === 'HEAD') {
            $options[CURLOPT_NOBODY] = true;
        }
        if ($socket !== null) {
            $options[CURLOPT_UNIX_SOCKET_PATH] = $socket;
        }
        curl_setopt_array($handle, $options);
        $result = curl_exec($handle);
        if ($result === false || !is_string($result)) {
            $reason = curl_error($handle);
            curl_close($handle);
            throw BridgeException::unreachable($reason !== '' ? $reason : 'no answer');
        }
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return new Response($status, $responseHeaders, $result);
    }
}
