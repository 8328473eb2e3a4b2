<?php
/**
 * WordPress-facing wrapper: the client's methods, returning WP_Error instead of throwing.
 */

declare(strict_types=1);

namespace Switchyard\Bridge;

/**
 * Calls the Client and turns every BridgeException into a WP_Error, the way WordPress
 * code expects failures (check is_wp_error(), never try/catch).
 *
 * The WP_Error code is "switchyard_<contract code>" (switchyard_unknown_symbol,
 * switchyard_bridge_unreachable, ...); its data holds status, retry_after, request_id.
 *
 * Example (in a plugin):
 *     $bridge = new \Switchyard\Bridge\WordPressBridge();   // URL/token from wp-config.php
 *     $quote = $bridge->quote('IBM');
 *     if (is_wp_error($quote)) { return esc_html($quote->get_error_message()); }
 *     return esc_html($quote['price']);
 *
 * @method array<string, mixed>|\WP_Error health()
 * @method array<string, mixed>|\WP_Error quote(string $symbol)
 * @method array<string, mixed>|\WP_Error quotes(array $symbols)
 * @method array<string, mixed>|\WP_Error history(string $symbol, array $options = [])
 * @method array<int, mixed>|\WP_Error news(?string $symbol = null, int $limit = 20)
 * @method array<int, mixed>|\WP_Error search(string $query)
 * @method array<string, mixed>|\WP_Error profile(string $symbol)
 * @method string|\WP_Error jsonToXml(mixed $json, string $mapping = 'lossless')
 * @method mixed xmlToJson(string $xml, string $mapping = 'lossless')
 * @method string|\WP_Error xmlToJsonString(string $xml, string $mapping = 'lossless')
 * @method bool log(array $lines, array $events = [], string $source = 'wordpress')
 * @method array<string, mixed>|\WP_Error logAnalysis()
 * @method array<mixed>|\WP_Error alertRules()
 * @method array<string, mixed>|\WP_Error alertRule(string $id)
 * @method array<string, mixed>|\WP_Error createAlertRule(array $rule)
 * @method array<string, mixed>|\WP_Error updateAlertRule(string $id, array $rule)
 * @method true|\WP_Error deleteAlertRule(string $id)
 * @method array<string, mixed>|\WP_Error testAlertRule(string $id, array $event = [])
 * @method array<mixed>|\WP_Error alertHistory(array $query = [])
 * @method array<mixed>|\WP_Error alertOutbox()
 * @method string|\WP_Error metrics()
 * @method array<int, array{provider: string, window: string, remaining: float}>|\WP_Error providerLimits()
 */
final class WordPressBridge
{
    private const METHODS = [
        'health', 'quote', 'quotes', 'history', 'news', 'search', 'profile', 'jsonToXml',
        'xmlToJson', 'xmlToJsonString', 'log', 'logAnalysis', 'alertRules', 'alertRule',
        'createAlertRule', 'updateAlertRule', 'deleteAlertRule', 'testAlertRule',
        'alertHistory', 'alertOutbox', 'metrics', 'providerLimits',
    ];

    /** @var Client */
    private $client;

    /**
     * @param Client|null $client The client to wrap; null builds one from wp-config.php constants.
     */
    public function __construct(?Client $client = null)
    {
        $this->client = $client ?? new Client();
    }

    public function client(): Client
    {
        return $this->client;
    }

    /**
     * @param array<int, mixed> $arguments
     * @return mixed The client's result, true for void methods, or a WP_Error.
     */
    public function __call(string $name, array $arguments)
    {
        if (!in_array($name, self::METHODS, true)) {
            throw new \BadMethodCallException('no such bridge method: ' . $name);
        }
        try {
            $result = $this->client->{$name}(...$arguments);
            return $result ?? true;
        } catch (BridgeException $e) {
            return self::toWpError($e);
        }
    }

    /** The WP_Error for a failed call: code switchyard_<code>, data status/retry_after/request_id. */
    public static function toWpError(BridgeException $e): \WP_Error
    {
        return new \WP_Error(
            'switchyard_' . $e->getErrorCode(),
            $e->getMessage(),
            [
                'status' => $e->getHttpStatus(),
                'retry_after' => $e->getRetryAfter(),
                'request_id' => $e->getRequestId(),
                'retryable' => $e->isRetryable(),
            ]
        );
    }
}
