<?php
/**
 * The Switchyard bridge client.
 */

declare(strict_types=1);

namespace Switchyard\Bridge;

use Switchyard\Bridge\Transport\CurlTransport;
use Switchyard\Bridge\Transport\TransportInterface;
use Switchyard\Bridge\Transport\WordPressTransport;

/**
 * One method per route of the bridge's HTTP contract.
 *
 * Configuration, first found wins: constructor arguments, then the constants
 * SWITCHYARD_BRIDGE_URL / SWITCHYARD_BRIDGE_TOKEN / SWITCHYARD_BRIDGE_SOCKET (wp-config.php),
 * then the environment variables of the same names, then http://127.0.0.1:8765 and no token.
 * A URL of the form unix:///run/switchyard/bridge.sock talks HTTP over that unix socket.
 *
 * Inside WordPress requests go through wp_remote_request(); elsewhere through ext-curl.
 * Every failure is a BridgeException (never a PHP error); its message never holds the token.
 *
 * Example:
 *     require '/path/to/bridge/php/autoload.php';
 *     $bridge = new \Switchyard\Bridge\Client('http://127.0.0.1:8765', getenv('BRIDGE_TOKEN'));
 *     $quote = $bridge->quote('IBM');          // ['symbol' => 'IBM', 'price' => '123.45', ...]
 */
final class Client
{
    public const VERSION = '0.1.0';
    public const DEFAULT_URL = 'http://127.0.0.1:8765';

    /** @var string base URL without trailing slash (http://localhost for unix sockets) */
    private $baseUrl;
    /** @var string */
    private $token;
    /** @var string|null */
    private $socket;
    /** @var float */
    private $timeout;
    /** @var float */
    private $connectTimeout;
    /** @var float */
    private $logTimeout;
    /** @var TransportInterface */
    private $transport;
    /** @var string */
    private $requestId;
    /** @var string */
    private $userAgent;

    /**
     * @param string|null $url Bridge base URL (http://host:port or unix:///path.sock); null: constant/env/default.
     * @param string|null $token Bearer token; null: constant/env.
     * @param array{timeout?: float, connect_timeout?: float, log_timeout?: float, socket?: string,
     *              transport?: TransportInterface, request_id?: string, user_agent?: string} $options
     *        timeout: whole-call limit in seconds (default 2.5, well under WordPress's 5 s);
     *        connect_timeout: default 0.5; log_timeout: limit for log() (default 0.5);
     *        socket: unix socket path; transport: how to send (default WordPress HTTP API inside
     *        WordPress, else curl); request_id: X-Request-ID sent on every call.
     * @throws \InvalidArgumentException when the URL is not http(s) or unix.
     */
    public function __construct(?string $url = null, ?string $token = null, array $options = [])
    {
        $url = $url ?? self::setting('SWITCHYARD_BRIDGE_URL') ?? self::DEFAULT_URL;
        $this->token = $token ?? self::setting('SWITCHYARD_BRIDGE_TOKEN') ?? '';
        $socket = $options['socket'] ?? self::setting('SWITCHYARD_BRIDGE_SOCKET');
        if (strncmp($url, 'unix://', 7) === 0) {
            $socket = substr($url, 7);
            $url = 'http://localhost';
        }
        if (!preg_match('#^https?://[^/?\#]+#i', $url)) {
            throw new \InvalidArgumentException('bridge URL must be http(s)://host[:port] or unix:///path');
        }
        $this->baseUrl = rtrim($url, '/');
        $this->socket = ($socket === null || $socket === '') ? null : $socket;
        $this->timeout = (float) ($options['timeout'] ?? 2.5);
        $this->connectTimeout = (float) ($options['connect_timeout'] ?? 0.5);
        $this->logTimeout = (float) ($options['log_timeout'] ?? 0.5);
        $this->transport = $options['transport'] ?? self::defaultTransport();
        $this->requestId = $options['request_id'] ?? self::newRequestId();
        $this->userAgent = $options['user_agent'] ?? ('switchyard-bridge-php/' . self::VERSION);
    }

    /** The transport for this environment: WordPress HTTP API when loaded, else curl. */
    public static function defaultTransport(): TransportInterface
    {
        return function_exists('wp_remote_request') ? new WordPressTransport() : new CurlTransport();
    }

    /** A fresh random request id (32 hex characters). */
    public static function newRequestId(): string
    {
        return bin2hex(random_bytes(16));
    }

    /** Hide the token from var_dump() and print_r(). */
    public function __debugInfo(): array
    {
        return [
            'baseUrl' => $this->baseUrl,
            'socket' => $this->socket,
            'token' => $this->token === '' ? '(none)' : '***',
            'timeout' => $this->timeout,
            'requestId' => $this->requestId,
        ];
    }

    public function baseUrl(): string
    {
        return $this->baseUrl;
    }

    public function socket(): ?string
    {
        return $this->socket;
    }

    public function hasToken(): bool
    {
        return $this->token !== '';
    }

    public function requestId(): string
    {
        return $this->requestId;
    }

    // ------------------------------------------------------------------ market data

    /**
     * GET /v1/health: overall status, version and checks. Answers 503 when degraded; that
     * is returned like a 200 (the body says what is wrong). No token needed.
     *
     * @return array{status: string, version?: string, checks?: list<array{name: string, status: string, detail?: string}>}
     * @throws BridgeException
     */
    public function health(): array
    {
        $response = $this->send('GET', '/v1/health', [], null, null, false, $this->timeout);
        if ($response->isSuccess() || $response->status === 503) {
            $decoded = self::decodeJson($response, $this->requestId);
            if (isset($decoded['status'])) {
                return $decoded;
            }
        }
        throw $this->failure($response);
    }

    /**
     * GET /v1/quotes/{symbol}: one Quote (price and other decimals are strings).
     *
     * @return array<string, mixed>
     * @throws BridgeException code unknown_symbol (404), rate_limited (429), provider_unavailable (503), ...
     */
    public function quote(string $symbol): array
    {
        return $this->getJson('/v1/quotes/' . self::segment($symbol, 'symbol'));
    }

    /**
     * GET /v1/quotes?symbols=A,B: several quotes in one call; per-symbol failures in "errors".
     *
     * @param list<string> $symbols
     * @return array{quotes: list<array<string, mixed>>, errors: array<string, array{code: string, message: string}>}
     * @throws BridgeException
     */
    public function quotes(array $symbols): array
    {
        $clean = [];
        foreach ($symbols as $symbol) {
            $symbol = trim((string) $symbol);
            if ($symbol !== '' && !isset($clean[strtoupper($symbol)])) {
                $clean[strtoupper($symbol)] = $symbol;
            }
        }
        if ($clean === []) {
            throw new BridgeException('invalid_request', 'symbols: at least one symbol is required');
        }
        $decoded = $this->getJson('/v1/quotes', ['symbols' => implode(',', array_values($clean))]);
        $decoded += ['quotes' => [], 'errors' => []];
        return $decoded;
    }

    /**
     * GET /v1/history/{symbol}: a History with its bars.
     *
     * @param array{interval?: string, range?: string, start?: string, end?: string} $options
     *        interval: 1d|1wk|1mo|1min|5min|15min|30min|60min; range: 1mo|3mo|6mo|1y|5y|max;
     *        start/end: YYYY-MM-DD.
     * @return array<string, mixed>
     * @throws BridgeException
     */
    public function history(string $symbol, array $options = []): array
    {
        $query = array_intersect_key($options, array_flip(['interval', 'range', 'start', 'end']));
        return $this->getJson('/v1/history/' . self::segment($symbol, 'symbol'), $query);
    }

    /**
     * GET /v1/news: latest news, for one symbol or the market.
     *
     * @return list<array<string, mixed>> NewsItem arrays
     * @throws BridgeException
     */
    public function news(?string $symbol = null, int $limit = 20): array
    {
        $query = ['limit' => $limit];
        if ($symbol !== null && $symbol !== '') {
            $query['symbol'] = $symbol;
        }
        $decoded = $this->getJson('/v1/news', $query);
        return array_values((array) ($decoded['items'] ?? []));
    }

    /**
     * GET /v1/search?q=: symbol search.
     *
     * @return list<array<string, mixed>> SymbolMatch arrays
     * @throws BridgeException
     */
    public function search(string $query): array
    {
        $decoded = $this->getJson('/v1/search', ['q' => $query]);
        return array_values((array) ($decoded['matches'] ?? []));
    }

    /**
     * GET /v1/profile/{symbol}: a company Profile.
     *
     * @return array<string, mixed>
     * @throws BridgeException
     */
    public function profile(string $symbol): array
    {
        return $this->getJson('/v1/profile/' . self::segment($symbol, 'symbol'));
    }

    // ------------------------------------------------------------------ conversion

    /**
     * POST /v1/convert/json-to-xml: JSON (a raw JSON string, or a PHP value to encode) to XML.
     *
     * @param mixed $json A JSON document as a string, or an array/scalar to encode.
     * @param string $mapping "lossless" (round-trips exactly) or "readable" (xmltodict style).
     * @return string The XML document.
     * @throws BridgeException
     */
    public function jsonToXml($json, string $mapping = 'lossless'): string
    {
        $body = is_string($json) ? $json : self::encodeJson($json);
        $response = $this->send(
            'POST',
            '/v1/convert/json-to-xml',
            ['mapping' => $mapping],
            $body,
            'application/json',
            true,
            $this->timeout,
            'application/xml'
        );
        if (!$response->isSuccess()) {
            throw $this->failure($response);
        }
        return $response->body;
    }

    /**
     * POST /v1/convert/xml-to-json: XML to JSON, returned as the raw JSON text.
     *
     * @throws BridgeException
     */
    public function xmlToJsonString(string $xml, string $mapping = 'lossless'): string
    {
        $response = $this->send(
            'POST',
            '/v1/convert/xml-to-json',
            ['mapping' => $mapping],
            $xml,
            'application/xml',
            true,
            $this->timeout
        );
        if (!$response->isSuccess()) {
            throw $this->failure($response);
        }
        return $response->body;
    }

    /**
     * POST /v1/convert/xml-to-json, decoded into PHP arrays.
     *
     * @return mixed
     * @throws BridgeException
     */
    public function xmlToJson(string $xml, string $mapping = 'lossless')
    {
        $text = $this->xmlToJsonString($xml, $mapping);
        $decoded = json_decode($text, true, 512, JSON_BIGINT_AS_STRING);
        if ($decoded === null && json_last_error() !== JSON_ERROR_NONE) {
            throw new BridgeException(BridgeException::INVALID_RESPONSE, 'bridge answered invalid JSON', 200, null, $this->requestId);
        }
        return $decoded;
    }

    // ------------------------------------------------------------------ logs

    /**
     * POST /v1/logs, fire-and-forget: never throws, never waits longer than log_timeout.
     *
     * @param list<string> $lines Raw log lines ("PHP Warning:  ... in /x.php on line 3").
     * @param list<array{level: string, message: string, context?: array<string, mixed>, timestamp?: string}> $events
     *        Structured events.
     * @param string $source Where the lines come from ("wordpress").
     * @return bool True when the bridge accepted the batch.
     */
    public function log(array $lines, array $events = [], string $source = 'wordpress'): bool
    {
        if ($lines === [] && $events === []) {
            return true;
        }
        try {
            $body = self::encodeJson([
                'source' => $source,
                'lines' => array_values(array_map('strval', $lines)),
                'events' => array_values($events),
            ]);
            $response = $this->send('POST', '/v1/logs', [], $body, 'application/json', true, $this->logTimeout);
            return $response->isSuccess();
        } catch (\Throwable $e) {
            return false;
        }
    }

    /**
     * GET /v1/logs/analysis: top templates, new templates and anomalies.
     *
     * @return array<string, mixed>
     * @throws BridgeException
     */
    public function logAnalysis(): array
    {
        return $this->getJson('/v1/logs/analysis');
    }

    // ------------------------------------------------------------------ alerts

    /**
     * GET /v1/alerts/rules.
     *
     * @return array<mixed>
     * @throws BridgeException
     */
    public function alertRules(): array
    {
        return $this->getJson('/v1/alerts/rules');
    }

    /**
     * GET /v1/alerts/rules/{id}.
     *
     * @return array<string, mixed>
     * @throws BridgeException not_found when there is no such rule.
     */
    public function alertRule(string $id): array
    {
        return $this->getJson('/v1/alerts/rules/' . self::segment($id, 'id'));
    }

    /**
     * POST /v1/alerts/rules: create a rule.
     *
     * @param array<string, mixed> $rule
     * @return array<string, mixed> The stored rule, with its id.
     * @throws BridgeException invalid_request (422, message names the field).
     */
    public function createAlertRule(array $rule): array
    {
        return $this->sendJson('POST', '/v1/alerts/rules', $rule);
    }

    /**
     * PUT /v1/alerts/rules/{id}: replace a rule.
     *
     * @param array<string, mixed> $rule
     * @return array<string, mixed>
     * @throws BridgeException
     */
    public function updateAlertRule(string $id, array $rule): array
    {
        return $this->sendJson('PUT', '/v1/alerts/rules/' . self::segment($id, 'id'), $rule);
    }

    /**
     * DELETE /v1/alerts/rules/{id}.
     *
     * @throws BridgeException not_found when there is no such rule.
     */
    public function deleteAlertRule(string $id): void
    {
        $response = $this->send('DELETE', '/v1/alerts/rules/' . self::segment($id, 'id'), [], null, null, true, $this->timeout);
        if (!$response->isSuccess()) {
            throw $this->failure($response);
        }
    }

    /**
     * POST /v1/alerts/rules/{id}/test: evaluate a rule now (optionally against a sample event).
     *
     * @param array<string, mixed> $event Optional sample event; empty sends no body.
     * @return array<string, mixed>
     * @throws BridgeException
     */
    public function testAlertRule(string $id, array $event = []): array
    {
        return $this->sendJson('POST', '/v1/alerts/rules/' . self::segment($id, 'id') . '/test', $event === [] ? null : $event);
    }

    /**
     * GET /v1/alerts/history.
     *
     * @param array<string, scalar> $query Filters the bridge understands (rule, limit, ...).
     * @return array<mixed>
     * @throws BridgeException
     */
    public function alertHistory(array $query = []): array
    {
        return $this->getJson('/v1/alerts/history', $query);
    }

    /**
     * GET /v1/alerts/outbox: pending and dead-lettered notifications.
     *
     * @return array<mixed>
     * @throws BridgeException
     */
    public function alertOutbox(): array
    {
        return $this->getJson('/v1/alerts/outbox');
    }

    /**
     * GET /metrics: Prometheus text.
     *
     * @throws BridgeException
     */
    public function metrics(): string
    {
        $response = $this->send('GET', '/metrics', [], null, null, true, $this->timeout, 'text/plain');
        if (!$response->isSuccess()) {
            throw $this->failure($response);
        }
        return $response->body;
    }

    /**
     * Requests left in each provider's rate-limit windows, read from /metrics
     * (`bridge_marketdata_limit_remaining`).
     *
     * @return list<array{provider: string, window: string, remaining: float}> e.g.
     *         [['provider' => 'alphavantage', 'window' => '86400s', 'remaining' => 23.0], ...]
     * @throws BridgeException
     */
    public function providerLimits(): array
    {
        return self::parseLimits($this->metrics());
    }

    /**
     * The provider limits found in Prometheus exposition text.
     *
     * @return list<array{provider: string, window: string, remaining: float}>
     */
    public static function parseLimits(string $metrics): array
    {
        $limits = [];
        $pattern = '/^bridge_marketdata_limit_remaining\{([^}]*)\}\s+([0-9.eE+\-]+|NaN|\+Inf)\s*$/m';
        if (!preg_match_all($pattern, $metrics, $matches, PREG_SET_ORDER)) {
            return [];
        }
        foreach ($matches as $match) {
            preg_match_all('/(\w+)="((?:[^"\\\\]|\\\\.)*)"/', $match[1], $labels, PREG_SET_ORDER);
            $values = [];
            foreach ($labels as $label) {
                $values[$label[1]] = stripcslashes($label[2]);
            }
            $limits[] = [
                'provider' => $values['provider'] ?? '',
                'window' => $values['window'] ?? '',
                'remaining' => (float) $match[2],
            ];
        }
        return $limits;
    }

    // ------------------------------------------------------------------ plumbing

    /**
     * Send any request to the bridge and return the raw answer (any status).
     *
     * @param array<string, scalar|null> $query
     * @throws BridgeException bridge_unreachable when no answer came.
     */
    public function send(
        string $method,
        string $path,
        array $query = [],
        ?string $body = null,
        ?string $contentType = null,
        bool $auth = true,
        ?float $timeout = null,
        string $accept = 'application/json'
    ): Response {
        $headers = [
            'Accept' => $accept,
            'User-Agent' => $this->userAgent,
            'X-Request-ID' => $this->requestId,
        ];
        if ($auth && $this->token !== '') {
            $headers['Authorization'] = 'Bearer ' . $this->token;
        }
        if ($contentType !== null) {
            $headers['Content-Type'] = $contentType;
        }
        try {
            return $this->transport->send(
                $method,
                $this->url($path, $query),
                $headers,
                $body,
                $timeout ?? $this->timeout,
                min($this->connectTimeout, $timeout ?? $this->timeout),
                $this->socket
            );
        } catch (BridgeException $e) {
            throw $e->redacted($this->token);
        } catch (\Throwable $e) {
            $failure = BridgeException::unreachable(get_class($e) . ': ' . $e->getMessage(), $this->requestId);
            throw $failure->redacted($this->token);
        }
    }

    /**
     * The absolute URL of a route: base + path + RFC 3986 query (null values dropped).
     *
     * @param array<string, scalar|null> $query
     */
    public function url(string $path, array $query = []): string
    {
        $query = array_filter($query, static function ($value): bool {
            return $value !== null && $value !== '';
        });
        $url = $this->baseUrl . '/' . ltrim($path, '/');
        if ($query !== []) {
            $url .= '?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986);
        }
        return $url;
    }

    /**
     * @param array<string, scalar|null> $query
     * @return array<mixed>
     * @throws BridgeException
     */
    private function getJson(string $path, array $query = []): array
    {
        $response = $this->send('GET', $path, $query);
        if (!$response->isSuccess()) {
            throw $this->failure($response);
        }
        return self::decodeJson($response, $this->requestId);
    }

    /**
     * @param array<mixed>|null $payload
     * @return array<mixed>
     * @throws BridgeException
     */
    private function sendJson(string $method, string $path, ?array $payload): array
    {
        $body = $payload === null ? null : self::encodeJson($payload);
        $response = $this->send($method, $path, [], $body, $body === null ? null : 'application/json');
        if (!$response->isSuccess()) {
            throw $this->failure($response);
        }
        if (trim($response->body) === '') {
            return [];
        }
        return self::decodeJson($response, $this->requestId);
    }

    private function failure(Response $response): BridgeException
    {
        $retry = $response->header('retry-after');
        $retryAfter = ($retry !== null && is_numeric($retry)) ? (float) $retry : null;
        return BridgeException::fromResponse($response->status, $response->body, $retryAfter, $this->requestId)
            ->redacted($this->token);
    }

    /**
     * Decode a JSON object answer.
     *
     * @return array<mixed>
     * @throws BridgeException invalid_response when the body is not a JSON object or array.
     */
    public static function decodeJson(Response $response, ?string $requestId = null): array
    {
        $decoded = json_decode($response->body, true, 512, JSON_BIGINT_AS_STRING);
        if (!is_array($decoded)) {
            throw new BridgeException(
                BridgeException::INVALID_RESPONSE,
                sprintf('bridge answered HTTP %d with a body that is not JSON', $response->status),
                $response->status,
                null,
                $requestId
            );
        }
        return $decoded;
    }

    /**
     * JSON-encode a payload the way the bridge expects: UTF-8, unescaped slashes.
     *
     * @param mixed $value
     * @throws BridgeException invalid_request when the value cannot be encoded.
     */
    public static function encodeJson($value): string
    {
        $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE;
        $encoded = json_encode($value, $flags);
        if ($encoded === false) {
            throw new BridgeException('invalid_request', 'payload cannot be encoded as JSON: ' . json_last_error_msg());
        }
        return $encoded;
    }

    /** @throws BridgeException invalid_request when the value is empty. */
    private static function segment(string $value, string $field): string
    {
        $value = trim($value);
        if ($value === '') {
            throw new BridgeException('invalid_request', $field . ': must not be empty');
        }
        return rawurlencode($value);
    }

    private static function setting(string $name): ?string
    {
        if (defined($name)) {
            $value = constant($name);
            if (is_string($value) && $value !== '') {
                return $value;
            }
        }
        $env = getenv($name);
        return (is_string($env) && $env !== '') ? $env : null;
    }
}
