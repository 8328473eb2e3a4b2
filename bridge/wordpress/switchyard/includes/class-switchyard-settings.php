<?php
/**
 * Settings: wp-config.php constants first, then the options saved on the settings page.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

/**
 * Reads the plugin's configuration and builds the bridge client from it.
 *
 * Constants (wp-config.php) win over the saved option `switchyard_settings`:
 * SWITCHYARD_BRIDGE_URL, SWITCHYARD_BRIDGE_TOKEN, SWITCHYARD_BRIDGE_SOCKET,
 * SWITCHYARD_ACTION_SECRET, SWITCHYARD_BRIDGE_CLIENT (path of the client's autoload.php).
 */
final class Settings
{
    public const OPTION = 'switchyard_settings';

    /** @var array<string, string> setting => constant */
    public const CONSTANTS = [
        'url' => 'SWITCHYARD_BRIDGE_URL',
        'token' => 'SWITCHYARD_BRIDGE_TOKEN',
        'socket' => 'SWITCHYARD_BRIDGE_SOCKET',
        'action_secret' => 'SWITCHYARD_ACTION_SECRET',
    ];

    /** @var array<string, mixed> */
    public const DEFAULTS = [
        'url' => 'http://127.0.0.1:8765',
        'token' => '',
        'socket' => '',
        'action_secret' => '',
        'timeout' => 2.5,
        'cache_ttl' => 0,
        'forward_logs' => true,
        'forward_deprecations' => false,
    ];

    /** @var \Switchyard\Bridge\Client|null */
    private static $client;
    /** @var bool|null */
    private static $clientLoaded;

    /**
     * One setting: its constant when defined, else the saved option, else the default.
     *
     * @return mixed
     */
    public static function get(string $name)
    {
        if (isset(self::CONSTANTS[$name]) && defined(self::CONSTANTS[$name])) {
            return constant(self::CONSTANTS[$name]);
        }
        $saved = get_option(self::OPTION, []);
        if (is_array($saved) && array_key_exists($name, $saved)) {
            return $saved[$name];
        }
        return self::DEFAULTS[$name] ?? null;
    }

    /** True when the setting comes from a wp-config.php constant (the page then shows it read-only). */
    public static function fromConstant(string $name): bool
    {
        return isset(self::CONSTANTS[$name]) && defined(self::CONSTANTS[$name]);
    }

    /**
     * Load the PHP client (bridge/php): SWITCHYARD_BRIDGE_CLIENT, the copy bundled in lib/,
     * or the repository checkout next to this plugin.
     */
    public static function loadClient(): bool
    {
        if (self::$clientLoaded !== null) {
            return self::$clientLoaded;
        }
        if (class_exists('\\Switchyard\\Bridge\\Client')) {
            return self::$clientLoaded = true;
        }
        $candidates = [];
        if (defined('SWITCHYARD_BRIDGE_CLIENT')) {
            $candidates[] = (string) constant('SWITCHYARD_BRIDGE_CLIENT');
        }
        $root = dirname(__DIR__);
        $candidates[] = $root . '/lib/switchyard-bridge/autoload.php';
        $candidates[] = dirname($root, 2) . '/php/autoload.php';
        foreach ($candidates as $candidate) {
            if (is_file($candidate)) {
                require_once $candidate;
                break;
            }
        }
        return self::$clientLoaded = class_exists('\\Switchyard\\Bridge\\Client');
    }

    /**
     * The shared client for this request, or null when the client library is missing.
     */
    public static function client(): ?\Switchyard\Bridge\Client
    {
        if (self::$client !== null) {
            return self::$client;
        }
        if (!self::loadClient()) {
            return null;
        }
        $url = (string) self::get('url');
        $socket = (string) self::get('socket');
        $options = [
            'timeout' => max(0.2, min(4.0, (float) self::get('timeout'))),
            'request_id' => self::requestId(),
            'user_agent' => 'switchyard-wordpress/' . VERSION . '; ' . home_url('/'),
        ];
        if ($socket !== '') {
            $options['socket'] = $socket;
        }
        try {
            self::$client = new \Switchyard\Bridge\Client($url !== '' ? $url : null, (string) self::get('token'), $options);
        } catch (\InvalidArgumentException $e) {
            return null;
        }
        return self::$client;
    }

    /** Forget the shared client (after the settings change). */
    public static function reset(): void
    {
        self::$client = null;
    }

    /** One id per page request, sent as X-Request-ID on every bridge call it makes. */
    public static function requestId(): string
    {
        static $id = null;
        if ($id === null) {
            $incoming = isset($_SERVER['HTTP_X_REQUEST_ID']) ? (string) $_SERVER['HTTP_X_REQUEST_ID'] : '';
            $id = preg_match('/^[A-Za-z0-9._-]{8,64}$/', $incoming) ? $incoming : bin2hex(random_bytes(16));
        }
        return $id;
    }

    /**
     * Clean the values posted from the settings page. Blank secrets keep the saved ones,
     * so the page never needs to print them.
     *
     * @param mixed $input
     * @return array<string, mixed>
     */
    public static function sanitize($input): array
    {
        $saved = get_option(self::OPTION, []);
        $saved = is_array($saved) ? $saved : [];
        $input = is_array($input) ? $input : [];
        $clean = array_merge(self::DEFAULTS, $saved);
        $url = isset($input['url']) ? trim((string) $input['url']) : '';
        if ($url === '' || preg_match('#^(https?://[^\s]+|unix:///[^\s]+)$#', $url)) {
            $clean['url'] = $url === '' ? self::DEFAULTS['url'] : (strncmp($url, 'unix://', 7) === 0 ? $url : esc_url_raw($url, ['http', 'https']));
        } elseif (function_exists('add_settings_error')) {
            add_settings_error(self::OPTION, 'url', __('The bridge URL must start with http://, https:// or unix:///.', 'switchyard'));
        }
        $clean['socket'] = isset($input['socket']) ? sanitize_text_field((string) $input['socket']) : '';
        foreach (['token', 'action_secret'] as $secret) {
            $value = isset($input[$secret]) ? trim((string) $input[$secret]) : '';
            if ($value !== '') {
                $clean[$secret] = $value;
            }
            if (!empty($input['clear_' . $secret])) {
                $clean[$secret] = '';
            }
        }
        $clean['timeout'] = isset($input['timeout']) ? max(0.2, min(4.0, (float) $input['timeout'])) : self::DEFAULTS['timeout'];
        $clean['cache_ttl'] = isset($input['cache_ttl']) ? max(0, min(86400, (int) $input['cache_ttl'])) : 0;
        $clean['forward_logs'] = !empty($input['forward_logs']);
        $clean['forward_deprecations'] = !empty($input['forward_deprecations']);
        self::reset();
        return $clean;
    }
}
