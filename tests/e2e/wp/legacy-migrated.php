<?php
/**
 * Plugin Name: Legacy trading widget (migrated)
 * Description: Test-only must-use plugin written exactly the way bridge/README.md ("Migrating a WordPress plugin") says a
 *              monolith plugin should call the bridge, so the e2e suite proves the guide.
 */

declare(strict_types=1);

namespace Legacy\Trading;

if (!defined('WPINC')) {
    die;
}

/** Step 1 of the guide: the provider request, now a bridge call returning WP_Error on failure. */
add_shortcode('legacy_price', static function ($atts): string {
    $symbol = strtoupper((string) (is_array($atts) ? ($atts['symbol'] ?? 'IBM') : 'IBM'));
    $bridge = new \Switchyard\Bridge\WordPressBridge();
    $quote = $bridge->quote($symbol);
    if (is_wp_error($quote)) {
        // Step 3 of the guide: the flat-file logger, now a structured event.
        do_action('switchyard_log', 'warning', 'legacy price unavailable', ['symbol' => $symbol, 'code' => $quote->get_error_code()]);
        return '<span class="legacy-price unavailable" data-code="' . esc_attr($quote->get_error_code()) . '">—</span>';
    }
    return '<span class="legacy-price">' . esc_html((string) $quote['price']) . '</span>';
});

/** Step 2 of the guide: what used to follow wp_mail(), now reactions to the bridge's calls. */
add_filter('switchyard_action_handlers', static function (array $handlers): array {
    $handlers['rebuild_ticker'] = static function (array $payload): array {
        $count = (int) get_option('legacy_ticker_rebuilds', 0) + 1;
        update_option('legacy_ticker_rebuilds', $count, false);
        return ['rebuilt' => true, 'count' => $count];
    };
    return $handlers;
});

add_action('switchyard_alert', static function (array $alert, string $type): void {
    update_option('legacy_last_alert', ['rule' => (string) ($alert['rule_id'] ?? ''), 'type' => $type], false);
}, 10, 2);
