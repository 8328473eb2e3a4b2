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
 * (each accepted signature is stored once, atomically, for the window) and runs the action —
 * once per Idempotency-Key header (remembered for a day), so a delivery the bridge retries
 * with a fresh signature is answered 200 {"duplicate": true} without running again.
 *
 * Bodies: an alert action, {"id", "action": "flush_cache", "params": {...}, "rule_id",
 * "notification_id"} (the name may also come as {"action": {"name": ...}}); or an alert
 * notification from the bridge's WordPress channel, {"id", "action": "notify", "type":
 * "alert.firing", "timestamp", "data": {...}} (also accepted without "action"), which fires
 * the `switchyard_alert` hook with the data and type — where a monolith used to call wp_mail().
 *
 * Built-in actions: flush_cache (alias clear_cache: clears the plugin's cached quotes and
 * charts), ping, notify (alias alert). Other plugins add their own through the `switchyard_action_handlers`
 * filter (name => callable(array $payload): array) and watch every action through the
 * `switchyard_action` hook ($name, $payload).
 */
final class ActionRoute
{
    public const NAMESPACE = 'switchyard/v1';
    public const ROUTE = '/action';
    public const NONCE_PREFIX = 'switchyard_nonce_';
    public const IDEMPOTENCY_PREFIX = 'switchyard_idem_';
    /** How long an Idempotency-Key is remembered (the bridge's outbox retries within this). */
    public const IDEMPOTENCY_WINDOW = 86400;
    public const LOG_OPTION = 'switchyard_action_log';

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
        if ($name === null && isset($payload['type']) && is_string($payload['type']) && strncmp($payload['type'], 'alert.', 6) === 0) {
            $name = 'alert';
        }
        if (!is_string($name) || $name === '') {
            return new \WP_Error('switchyard_invalid_body', 'action: a name is required.', ['status' => 400]);
        }
        $flush = static function (array $payload): array {
            return ['flushed' => LastGood::flush()];
        };
        $alert = static function (array $payload): array {
            $data = isset($payload['data']) && is_array($payload['data']) ? $payload['data'] : [];
            $type = isset($payload['type']) && is_string($payload['type']) ? $payload['type'] : 'alert.firing';
            do_action('switchyard_alert', $data, $type);
            return ['received' => $type];
        };
        $handlers = apply_filters('switchyard_action_handlers', [
            'flush_cache' => $flush,
            'clear_cache' => $flush,
            'alert' => $alert,
            'notify' => $alert,
            'ping' => static function (array $payload): array {
                return ['pong' => true];
            },
        ]);
        if (!is_array($handlers) || !isset($handlers[$name]) || !is_callable($handlers[$name])) {
            return new \WP_Error('switchyard_unknown_action', sprintf('action: unknown action "%s".', $name), ['status' => 400]);
        }
        // A delivery the bridge retries (new signature, same key) runs once.
        $key = (string) $request->get_header('idempotency_key');
        if ($key !== '' && !self::remember(self::IDEMPOTENCY_PREFIX, $key, self::IDEMPOTENCY_WINDOW)) {
            return new \WP_REST_Response(['ok' => true, 'duplicate' => true], 200);
        }
        try {
            $result = call_user_func($handlers[$name], $payload);
        } catch (\Throwable $e) {
            if ($key !== '') {
                self::forget(self::IDEMPOTENCY_PREFIX, $key); // let the bridge's retry run it
            }
            return new \WP_Error('switchyard_action_failed', sprintf('action "%s" failed.', $name), ['status' => 500]);
        }
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
        return self::remember(self::NONCE_PREFIX, strtolower(trim($signature)), Signature::WINDOW, $now);
    }

    private static function forget(string $prefix, string $value): void
    {
        delete_option($prefix . hash('sha256', $value));
    }

    /**
     * Store (prefix, value) for $window seconds; false when it is already stored.
     */
    private static function remember(string $prefix, string $value, int $window, ?int $now = null): bool
    {
        global $wpdb;
        $now = $now ?? time();
        $name = $prefix . hash('sha256', $value);
        $wpdb->query($wpdb->prepare(
            "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND option_value < %d",
            $wpdb->esc_like($prefix) . '%',
            $now - $window
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
        $rule = $payload['rule_id'] ?? ($payload['data']['rule_id'] ?? '');
        array_unshift($log, [
            'action' => $name,
            'rule' => is_scalar($rule) ? (string) $rule : '',
            'at' => time(),
        ]);
        update_option(self::LOG_OPTION, array_slice($log, 0, 20), false);
    }
}
