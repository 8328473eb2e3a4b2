<?php
/**
 * Plugin Name: Switchyard e2e probe
 * Description: Test-only must-use plugin: raises a real PHP warning and a log event on demand.
 */

declare(strict_types=1);

namespace Switchyard\E2E;

if (!defined('WPINC')) {
    die;
}

/**
 * ?switchyard_probe=warning: the kind of warning a legacy plugin raises (an undefined array
 * key while syncing inventory), plus one structured event through the switchyard_log action.
 */
add_action('init', static function (): void {
    $probe = isset($_GET['switchyard_probe']) ? (string) $_GET['switchyard_probe'] : '';
    if (isset($_GET['forward']) && $_GET['forward'] === '0') {
        // Same page, same warnings, nothing sent: the benchmark's measure of what sending costs.
        add_filter('option_switchyard_settings', static function ($value): array {
            return array_merge(is_array($value) ? $value : [], ['forward_logs' => false]);
        });
    }
    if ($probe === 'warning') {
        $sku = isset($_GET['sku']) ? (int) $_GET['sku'] : 1;
        $stock = ['sku_0' => 3];
        $count = $stock['sku_' . $sku]; // PHP Warning: Undefined array key "sku_N"
        trigger_error(sprintf('Inventory sync failed for SKU %d: upstream answered 502', $sku), E_USER_WARNING);
        do_action('switchyard_log', 'error', 'Inventory sync gave up', ['sku' => $sku, 'count' => $count]);
    }
    if ($probe === 'fatal') {
        // PHP Fatal error: Uncaught Error: Call to undefined function ...
        $missing = 'switchyard_e2e_function_that_does_not_exist';
        $missing();
    }
});

/**
 * [switchyard_const_quote symbol="IBM"]: the quote shortcode's markup with a constant price,
 * the baseline of benchmarks/wordpress_page.py.
 */
add_shortcode('switchyard_const_quote', static function ($atts): string {
    $symbol = strtoupper((string) (is_array($atts) ? ($atts['symbol'] ?? 'IBM') : 'IBM'));
    return sprintf(
        '<span class="switchyard-quote" data-symbol="%1$s"><span class="switchyard-symbol">%1$s</span> <span class="switchyard-price">123.45</span> <span class="switchyard-change switchyard-up">+1.23 (+1.01%%)</span></span>',
        esc_attr($symbol)
    );
});
