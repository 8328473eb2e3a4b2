<?php
/**
 * The transport used inside WordPress: the WordPress HTTP API.
 */

declare(strict_types=1);

namespace Switchyard\Bridge\Transport;

use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Response;

/**
 * Sends requests with wp_remote_request(), so WordPress's proxy settings, filters and
 * debugging tools see them.
 *
 * Unix sockets and the connect timeout are set on the cURL handle in a one-shot
 * `http_api_curl` action. A loopback IP address is reached as "localhost" (pinned to the
 * IP with CURLOPT_RESOLVE) so WP_HTTP_BLOCK_EXTERNAL does not refuse the bridge.
 */
final class WordPressTransport implements TransportInterface
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
        $parts = parse_url($url);
        $host = is_array($parts) ? (string) ($parts['host'] ?? '') : '';
        $pinned = null;
        if (in_array($host, ['127.0.0.1', '[::1]', '::1'], true) && defined('WP_HTTP_BLOCK_EXTERNAL') && WP_HTTP_BLOCK_EXTERNAL) {
            $scheme = (string) ($parts['scheme'] ?? 'http');
            $port = (int) ($parts['port'] ?? ($scheme === 'https' ? 443 : 80));
            $pinned = sprintf('localhost:%d:%s', $port, trim($host, '[]'));
            $url = (string) preg_replace('#^(https?://)(\[::1\]|127\.0\.0\.1)#', '$1localhost', $url, 1);
        }
        $target = $url;
        $hook = static function ($handle, $args, $hookUrl) use ($target, $socket, $connectTimeout, $pinned): void {
            if ($hookUrl !== $target) {
                return;
            }
            curl_setopt($handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, (int) round($connectTimeout * 1000)));
            if ($socket !== null) {
                curl_setopt($handle, CURLOPT_UNIX_SOCKET_PATH, $socket);
            }
            if ($pinned !== null) {
                curl_setopt($handle, CURLOPT_RESOLVE, [$pinned]);
            }
        };
        add_action('http_api_curl', $hook, 10, 3);
        try {
            $args = [
                'method' => $method,
                'headers' => $headers,
                'timeout' => $timeout,
                'redirection' => 0,
                'blocking' => true,
                'httpversion' => '1.1',
                'user-agent' => $headers['User-Agent'] ?? 'switchyard-bridge-php',
            ];
            if ($body !== null) {
                $args['body'] = $body;
            }
            $result = wp_remote_request($url, $args);
        } finally {
            remove_action('http_api_curl', $hook, 10);
        }
        if (is_wp_error($result)) {
            throw BridgeException::unreachable($result->get_error_message());
        }
        $responseHeaders = [];
        $raw = wp_remote_retrieve_headers($result);
        if (is_object($raw) && method_exists($raw, 'getAll')) {
            $raw = $raw->getAll();
        }
        if (is_array($raw)) {
            foreach ($raw as $name => $value) {
                $responseHeaders[strtolower((string) $name)] = is_array($value) ? implode(', ', $value) : (string) $value;
            }
        }
        return new Response(
            (int) wp_remote_retrieve_response_code($result),
            $responseHeaders,
            (string) wp_remote_retrieve_body($result)
        );
    }
}
