<?php
/**
 * The settings page (Settings → Switchyard) with the bridge health panel.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

use Switchyard\Bridge\BridgeException;

/**
 * Settings form (URL, socket, token, action secret, timeout, page cache, log forwarding)
 * and a health panel: bridge reachable, token accepted, requests left in each provider's
 * rate-limit windows (from the bridge's /metrics), each health check of the bridge and the
 * last signed actions received.
 * Secrets are never printed: their fields stay empty and say whether a value is saved.
 */
final class Admin
{
    public const PAGE = 'switchyard';

    public function menu(): void
    {
        add_options_page(
            __('Switchyard', 'switchyard'),
            __('Switchyard', 'switchyard'),
            'manage_options',
            self::PAGE,
            [$this, 'render']
        );
    }

    public function settings(): void
    {
        register_setting(self::PAGE, Settings::OPTION, [
            'type' => 'array',
            'sanitize_callback' => [Settings::class, 'sanitize'],
            'default' => Settings::DEFAULTS,
            'show_in_rest' => false,
        ]);
    }

    public function render(): void
    {
        if (!current_user_can('manage_options')) {
            return;
        }
        echo '<div class="wrap"><h1>' . esc_html__('Switchyard', 'switchyard') . '</h1>';
        settings_errors(Settings::OPTION);
        echo '<h2>' . esc_html__('Bridge health', 'switchyard') . '</h2>';
        echo self::healthPanel(); // phpcs:ignore WordPress.Security.EscapeOutput -- built from escaped parts
        echo '<h2>' . esc_html__('Settings', 'switchyard') . '</h2>';
        echo '<form method="post" action="options.php">';
        settings_fields(self::PAGE);
        echo '<table class="form-table" role="presentation">';
        $this->textRow('url', __('Bridge URL', 'switchyard'), 'http://127.0.0.1:8765 or unix:///run/switchyard/bridge.sock');
        $this->textRow('socket', __('Unix socket (optional)', 'switchyard'), '/run/switchyard/bridge.sock');
        $this->secretRow('token', __('Bridge token', 'switchyard'));
        $this->secretRow('action_secret', __('Action signing secret', 'switchyard'));
        $this->textRow('timeout', __('Timeout (seconds)', 'switchyard'), '2.5');
        $this->textRow('cache_ttl', __('Page cache (seconds, 0 = always ask the bridge)', 'switchyard'), '0');
        $this->checkboxRow('forward_logs', __('Forward PHP errors to the bridge', 'switchyard'));
        $this->checkboxRow('forward_deprecations', __('Include deprecation notices', 'switchyard'));
        echo '</table>';
        submit_button();
        echo '</form></div>';
    }

    /**
     * The health panel's HTML: reachability, token, checks, recent actions.
     */
    public static function healthPanel(): string
    {
        $client = Settings::client();
        if ($client === null) {
            return '<p class="switchyard-health switchyard-fail">' . esc_html__('The Switchyard PHP client (bridge/php) was not found, or the bridge URL is invalid.', 'switchyard') . '</p>';
        }
        $rows = [];
        $started = microtime(true);
        try {
            $health = $client->health();
            $ms = (microtime(true) - $started) * 1000;
            $rows[] = [__('Bridge reachable', 'switchyard'), 'ok', sprintf('%s · %s · %.0f ms', $client->baseUrl() . ($client->socket() !== null ? ' (' . $client->socket() . ')' : ''), (string) ($health['version'] ?? '?'), $ms)];
            $rows[] = [__('Bridge status', 'switchyard'), (string) $health['status'], ''];
        } catch (BridgeException $e) {
            $health = null;
            $rows[] = [__('Bridge reachable', 'switchyard'), 'fail', $e->getMessage()];
        }
        if ($health !== null) {
            if (!$client->hasToken()) {
                $rows[] = [__('Token', 'switchyard'), 'fail', __('no token configured (SWITCHYARD_BRIDGE_TOKEN)', 'switchyard')];
            } else {
                try {
                    // /metrics is cheap, local and always behind the token.
                    $limits = \Switchyard\Bridge\Client::parseLimits($client->metrics());
                    $rows[] = [__('Token', 'switchyard'), 'ok', __('accepted', 'switchyard')];
                    foreach ($limits as $limit) {
                        $rows[] = [
                            sprintf(__('Provider limit: %1$s (%2$s window)', 'switchyard'), $limit['provider'], $limit['window']),
                            $limit['remaining'] > 0 ? 'ok' : 'warn',
                            sprintf(__('%s requests left', 'switchyard'), number_format_i18n($limit['remaining'])),
                        ];
                    }
                } catch (BridgeException $e) {
                    $rows[] = [__('Token', 'switchyard'), 'fail', $e->getErrorCode() === 'unauthorized' ? __('refused by the bridge', 'switchyard') : $e->getMessage()];
                }
            }
            foreach ((array) ($health['checks'] ?? []) as $check) {
                if (is_array($check)) {
                    $rows[] = [(string) ($check['name'] ?? '?'), (string) ($check['status'] ?? '?'), (string) ($check['detail'] ?? '')];
                }
            }
        }
        $html = '<table class="widefat striped switchyard-health"><thead><tr><th>' . esc_html__('Check', 'switchyard') . '</th><th>'
            . esc_html__('Status', 'switchyard') . '</th><th>' . esc_html__('Detail', 'switchyard') . '</th></tr></thead><tbody>';
        foreach ($rows as [$name, $status, $detail]) {
            $html .= sprintf(
                '<tr class="switchyard-check-%s"><td>%s</td><td>%s</td><td>%s</td></tr>',
                esc_attr(sanitize_html_class($status)),
                esc_html($name),
                esc_html($status),
                esc_html($detail)
            );
        }
        $html .= '</tbody></table>';
        $actions = get_option(ActionRoute::LOG_OPTION, []);
        if (is_array($actions) && $actions !== []) {
            $html .= '<h3>' . esc_html__('Recent signed actions', 'switchyard') . '</h3><ul class="switchyard-actions">';
            foreach ($actions as $entry) {
                $html .= sprintf(
                    '<li>%s %s %s</li>',
                    esc_html(gmdate('Y-m-d H:i:s', (int) ($entry['at'] ?? 0)) . ' UTC'),
                    esc_html((string) ($entry['action'] ?? '')),
                    esc_html((string) ($entry['rule'] ?? ''))
                );
            }
            $html .= '</ul>';
        }
        return $html;
    }

    private function textRow(string $name, string $label, string $placeholder): void
    {
        $locked = Settings::fromConstant($name);
        printf(
            '<tr><th scope="row"><label for="switchyard-%1$s">%2$s</label></th><td><input type="text" class="regular-text" id="switchyard-%1$s" name="%3$s[%1$s]" value="%4$s" placeholder="%5$s"%6$s>%7$s</td></tr>',
            esc_attr($name),
            esc_html($label),
            esc_attr(Settings::OPTION),
            esc_attr((string) Settings::get($name)),
            esc_attr($placeholder),
            $locked ? ' readonly' : '',
            $locked ? ' <p class="description">' . esc_html__('Set in wp-config.php.', 'switchyard') . '</p>' : ''
        );
    }

    private function secretRow(string $name, string $label): void
    {
        if (Settings::fromConstant($name)) {
            printf(
                '<tr><th scope="row">%s</th><td><p class="description">%s</p></td></tr>',
                esc_html($label),
                esc_html(sprintf(__('Set in wp-config.php (%s).', 'switchyard'), Settings::CONSTANTS[$name]))
            );
            return;
        }
        $saved = (string) Settings::get($name) !== '';
        printf(
            '<tr><th scope="row"><label for="switchyard-%1$s">%2$s</label></th><td><input type="password" autocomplete="new-password" class="regular-text" id="switchyard-%1$s" name="%3$s[%1$s]" value="" placeholder="%4$s"> <label><input type="checkbox" name="%3$s[clear_%1$s]" value="1"> %5$s</label></td></tr>',
            esc_attr($name),
            esc_html($label),
            esc_attr(Settings::OPTION),
            esc_attr($saved ? __('saved — leave blank to keep', 'switchyard') : __('not set', 'switchyard')),
            esc_html__('clear', 'switchyard')
        );
    }

    private function checkboxRow(string $name, string $label): void
    {
        printf(
            '<tr><th scope="row">%2$s</th><td><input type="checkbox" id="switchyard-%1$s" name="%3$s[%1$s]" value="1"%4$s></td></tr>',
            esc_attr($name),
            esc_html($label),
            esc_attr(Settings::OPTION),
            Settings::get($name) ? ' checked' : ''
        );
    }
}
