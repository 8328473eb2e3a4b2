<?php
/**
 * The signed REST route the bridge's alert actions call: POST /?rest_route=/switchyard/v1/action.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

use Switchyard\Bridge\Signature;

/**
 * Verifies X-Switchyard-Timestamp / X-Switchyard-Signature (HMAC-SHA256 over
 * "<timestamp>.<raw body>" with the shared secret, 300 s window), refuses replays
 * (each accepted signature is stored once, atomically, for the window) and runs the action.
 *
 * Body: {"action": "flush_cache", ...}; the action name may also come as
 * {"action": {"name": "flush_cache", ...}}. Built-in actions: flush_cache (clears the
 * plugin's cached quotes and charts), ping. Other plugins add their own through the
 * `switchyard_action_handlers` filter (name => callable(array $payload): array) and watch
 * every action through the `switchyard_action` hook.
 */
final class ActionRoute
{
    public const NAMESPACE = 'switchyard/v1';
    public const ROUTE = '/action';
    public const NONCE_PREFIX = 'switchyard_nonce_';
    public const LOG_OPTION = 'switchyard_action_log';

    public function register(): void
    {
        add_action('rest_api_init', [$this, 'registerRoute']);
    }

    public function registerRoute(): void
    {
        register_rest_route(self::NAMESPACE, self::ROUTE, [
            'methods' => 'POST',
            'callback' => [$this, 'handle'],
            'permission_callback' => [$this, 'verify'],
        ]);
    }

    /**
     * permission_callback: the signature, the timestamp window, then the replay check.
     *
     * @return true|\WP_Error
     */
    public function verify(\WP_REST_Request $request)
    {
        if (!Settings::loadClient()) {
            return new \WP_Error('switchyard_unavailable', 'The Switchyard client library is missing.', ['status' => 503]);
        }
        $secret = (string) Settings::get('action_secret');
        $signature = $request->get_header('x_switchyard_signature');
        $problem = Signature::verify(
            $secret,
            $request->get_header('x_switchyard_timestamp'),
            $signature,
            $request->get_body()
        );
        if ($problem !== null) {
            return new \WP_Error('switchyard_bad_signature', 'Signature refused: ' . $problem . '.', ['status' => 401]);
        }
        if (!self::rememberSignature((string) $signature)) {
            return new \WP_Error('switchyard_replayed', 'Signature refused: already used.', ['status' => 409]);
        }
        return true;
    }

    /**
     * Run the action and answer what it did.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function handle(\WP_REST_Request $request)
    {
        $payload = json_decode($request->get_body(), true);
        if (!is_array($payload)) {
            return new \WP_Error('switchyard_invalid_body', 'The body must be a JSON object.', ['status' => 400]);
        }
        $name = $payload['action'] ?? null;
        if (is_array($name)) {
            $name = $name['name'] ?? null;
        }
        if (!is_string($name) || $name === '') {
            return new \WP_Error('switchyard_invalid_body', 'action: a name is required.', ['status' => 400]);
        }
        $handlers = apply_filters('switchyard_action_handlers', [
            'flush_cache' => static function (array $payload): array {
                return ['flushed' => LastGood::flush()];
            },
            'ping' => static function (array $payload): array {
                return ['pong' => true];
            },
        ]);
        if (!is_array($handlers) || !isset($handlers[$name]) || !is_callable($handlers[$name])) {
            return new \WP_Error('switchyard_unknown_action', sprintf('action: unknown action "%s".', $name), ['status' => 400]);
        }
        $result = call_user_func($handlers[$name], $payload);
        do_action('switchyard_action', $name, $payload);
        self::audit($name, $payload);
        return new \WP_REST_Response(['ok' => true, 'action' => $name, 'result' => $result], 200);
    }

    /**
     * Store the signature for the window; false when it was already stored (a replay).
     * INSERT IGNORE on the options table's unique key makes this atomic across workers.
     */
    public static function rememberSignature(string $signature, ?int $now = null): bool
    {
        global $wpdb;
        $now = $now ?? time();
        $name = self::NONCE_PREFIX . hash('sha256', strtolower(trim($signature)));
        $wpdb->query($wpdb->prepare(
            "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND option_value < %d",
            $wpdb->esc_like(self::NONCE_PREFIX) . '%',
            $now - Signature::WINDOW
        ));
        $inserted = $wpdb->query($wpdb->prepare(
            "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
            $name,
            (string) $now
        ));
        return $inserted === 1;
    }

    /**
     * Keep the last 20 actions for the settings page.
     *
     * @param array<mixed> $payload
     */
    private static function audit(string $name, array $payload): void
    {
        $log = get_option(self::LOG_OPTION, []);
        $log = is_array($log) ? $log : [];
        array_unshift($log, [
            'action' => $name,
            'rule' => isset($payload['rule']) && is_scalar($payload['rule']) ? (string) $payload['rule'] : (isset($payload['rule_id']) && is_scalar($payload['rule_id']) ? (string) $payload['rule_id'] : ''),
            'at' => time(),
        ]);
        update_option(self::LOG_OPTION, array_slice($log, 0, 20), false);
    }
}
