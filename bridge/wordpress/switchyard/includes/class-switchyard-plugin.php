<?php
/**
 * The plugin: builds the parts and registers every hook, in one place.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

/**
 * Owns the plugin's parts; register() is the only place hooks are added.
 */
final class Plugin
{
    /** @var Plugin|null */
    private static $instance;
    /** @var Shortcodes */
    private $shortcodes;
    /** @var LogForwarder */
    private $logs;
    /** @var ActionRoute */
    private $actions;
    /** @var Admin */
    private $admin;
    /** @var bool */
    private $registered = false;

    private function __construct()
    {
        $this->shortcodes = new Shortcodes();
        $this->logs = new LogForwarder();
        $this->actions = new ActionRoute();
        $this->admin = new Admin();
    }

    public static function instance(): self
    {
        if (self::$instance === null) {
            self::$instance = new self();
        }
        return self::$instance;
    }

    public function logs(): LogForwarder
    {
        return $this->logs;
    }

    public function shortcodes(): Shortcodes
    {
        return $this->shortcodes;
    }

    /**
     * Register every hook — the only place the plugin adds any. The error forwarder is
     * installed at once, so errors raised while the other plugins load are forwarded too.
     */
    public function register(): void
    {
        if ($this->registered) {
            return;
        }
        $this->registered = true;
        if (Settings::get('forward_logs')) {
            $this->logs->install();
        }
        // Other plugins may use \Switchyard\Bridge\* from plugins_loaded on.
        add_action('plugins_loaded', [Settings::class, 'loadClient'], 0, 0);
        add_action('switchyard_log', [$this->logs, 'event'], 10, 3);
        add_filter('wp_php_error_message', [$this->logs, 'beforeFatalPage'], 1, 1);
        add_action('shutdown', [LastGood::class, 'persist'], 0);
        add_action('init', [$this, 'registerShortcodes']);
        add_filter('the_posts', [$this->shortcodes, 'prefetch'], 10, 1);
        add_action('rest_api_init', [$this->actions, 'registerRoute']);
        if (is_admin()) {
            add_action('admin_menu', [$this->admin, 'menu']);
            add_action('admin_init', [$this->admin, 'settings']);
            add_action('admin_notices', [$this, 'missingClientNotice']);
        }
    }

    /** The shortcodes, registered on `init`. */
    public function registerShortcodes(): void
    {
        add_shortcode('switchyard_quote', [$this->shortcodes, 'quote']);
        add_shortcode('switchyard_chart', [$this->shortcodes, 'chart']);
    }

    public function missingClientNotice(): void
    {
        if (Settings::loadClient() || !current_user_can('manage_options')) {
            return;
        }
        echo '<div class="notice notice-error"><p>' . esc_html__(
            'Switchyard: the bridge PHP client was not found. Bundle it in lib/switchyard-bridge/ or define SWITCHYARD_BRIDGE_CLIENT in wp-config.php.',
            'switchyard'
        ) . '</p></div>';
    }
}
