<?php
/**
 * The [switchyard_quote] and [switchyard_chart] shortcodes.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

use Switchyard\Bridge\BridgeException;

/**
 * Renders quotes and charts from the bridge, falling back to the last good value (marked
 * stale) when the bridge is down. Quotes of every [switchyard_quote] in the posts of a
 * page are fetched in one /v1/quotes call (the_posts filter); after one transport failure
 * no further call is tried during the same request, so a dead bridge costs one timeout.
 */
final class Shortcodes
{
    /** @var array<string, array{data: array<mixed>|null, at: int|null, stale: bool}> quote results of this request */
    private $quotes = [];
    /** @var bool set after a transport failure: skip the bridge for the rest of the request */
    private $bridgeDown = false;

    /** A symbol as the bridge expects it, or '' when it is not one. */
    public static function symbol(string $raw): string
    {
        $symbol = strtoupper(trim($raw));
        return preg_match('/^[A-Z0-9][A-Z0-9.\-^=:]{0,19}$/', $symbol) ? $symbol : '';
    }

    /**
     * Fetch, in one call, the quotes every [switchyard_quote] of these posts will need.
     *
     * @param mixed $posts
     * @return mixed The posts, unchanged.
     */
    public function prefetch($posts)
    {
        if (!is_array($posts) || is_admin()) {
            return $posts;
        }
        $symbols = [];
        foreach ($posts as $post) {
            $content = is_object($post) && isset($post->post_content) ? (string) $post->post_content : '';
            if (strpos($content, '[switchyard_quote') === false) {
                continue;
            }
            preg_match_all('/\[switchyard_quote\b[^\]]*?\bsymbol\s*=\s*["\']?([^"\'\s\]]+)/i', $content, $matches);
            foreach ($matches[1] as $raw) {
                $symbol = self::symbol((string) $raw);
                if ($symbol !== '' && !isset($this->quotes[$symbol])) {
                    $symbols[$symbol] = true;
                }
            }
        }
        $ttl = (int) Settings::get('cache_ttl');
        foreach (array_keys($symbols) as $symbol) {
            if (LastGood::fresh('quote', $symbol, $ttl) !== null) {
                unset($symbols[$symbol]);
            }
        }
        if (count($symbols) < 2) {
            return $posts; // one symbol: the shortcode's own call is as cheap
        }
        $client = Settings::client();
        if ($client === null || $this->bridgeDown) {
            return $posts;
        }
        try {
            $result = $client->quotes(array_keys($symbols));
        } catch (BridgeException $e) {
            $this->bridgeDown = $e->getErrorCode() === BridgeException::UNREACHABLE;
            return $posts;
        }
        foreach ((array) $result['quotes'] as $quote) {
            if (is_array($quote) && isset($quote['symbol'])) {
                $symbol = strtoupper((string) $quote['symbol']);
                LastGood::remember('quote', $symbol, $quote);
                $this->quotes[$symbol] = ['data' => $quote, 'at' => time(), 'stale' => !empty($quote['stale'])];
            }
        }
        return $posts;
    }

    /**
     * [switchyard_quote symbol="IBM"]: price, change and change %, marked stale when old.
     *
     * @param mixed $atts
     */
    public function quote($atts): string
    {
        $atts = shortcode_atts(['symbol' => '', 'show_change' => 'yes'], is_array($atts) ? $atts : [], 'switchyard_quote');
        $symbol = self::symbol((string) $atts['symbol']);
        if ($symbol === '') {
            return '<span class="switchyard-quote switchyard-error">' . esc_html__('switchyard_quote: a valid symbol="…" is required', 'switchyard') . '</span>';
        }
        $result = $this->quoteResult($symbol);
        if ($result['data'] === null) {
            return sprintf(
                '<span class="switchyard-quote switchyard-unavailable" data-symbol="%s"><span class="switchyard-symbol">%s</span> %s</span>',
                esc_attr($symbol),
                esc_html($symbol),
                esc_html__('quote unavailable', 'switchyard')
            );
        }
        $quote = $result['data'];
        $html = sprintf(
            '<span class="switchyard-quote%s" data-symbol="%s"><span class="switchyard-symbol">%s</span> <span class="switchyard-price">%s</span>',
            $result['stale'] ? ' switchyard-stale' : '',
            esc_attr($symbol),
            esc_html($symbol),
            esc_html((string) ($quote['price'] ?? ''))
        );
        if ($atts['show_change'] !== 'no' && isset($quote['change']) && is_numeric($quote['change'])) {
            $change = (string) $quote['change'];
            $up = (float) $change >= 0;
            $sign = ($up && $change[0] !== '+') ? '+' : '';
            $percent = isset($quote['change_percent']) && is_numeric($quote['change_percent'])
                ? sprintf(' (%s%s%%)', ((float) $quote['change_percent'] >= 0 && ((string) $quote['change_percent'])[0] !== '+') ? '+' : '', (string) $quote['change_percent'])
                : '';
            $html .= sprintf(
                ' <span class="switchyard-change %s">%s</span>',
                $up ? 'switchyard-up' : 'switchyard-down',
                esc_html($sign . $change . $percent)
            );
        }
        if ($result['stale']) {
            $html .= ' <span class="switchyard-stale-note">' . esc_html(self::staleNote($result['at'], $quote)) . '</span>';
        }
        return $html . '</span>';
    }

    /**
     * [switchyard_chart symbol="IBM" range="6mo" interval="1d" width="600" height="220"]: inline SVG.
     *
     * @param mixed $atts
     */
    public function chart($atts): string
    {
        $atts = shortcode_atts(
            ['symbol' => '', 'range' => '6mo', 'interval' => '1d', 'width' => '600', 'height' => '220'],
            is_array($atts) ? $atts : [],
            'switchyard_chart'
        );
        $symbol = self::symbol((string) $atts['symbol']);
        $range = in_array($atts['range'], ['1mo', '3mo', '6mo', '1y', '5y', 'max'], true) ? (string) $atts['range'] : '6mo';
        $interval = in_array($atts['interval'], ['1d', '1wk', '1mo', '1min', '5min', '15min', '30min', '60min'], true) ? (string) $atts['interval'] : '1d';
        if ($symbol === '') {
            return '<div class="switchyard-chart switchyard-error">' . esc_html__('switchyard_chart: a valid symbol="…" is required', 'switchyard') . '</div>';
        }
        $key = $symbol . '|' . $range . '|' . $interval;
        $history = LastGood::fresh('history', $key, (int) Settings::get('cache_ttl'));
        $stale = false;
        $at = null;
        if ($history === null) {
            $client = Settings::client();
            try {
                if ($client === null || $this->bridgeDown) {
                    throw BridgeException::unreachable('bridge not configured or down');
                }
                $history = $client->history($symbol, ['range' => $range, 'interval' => $interval]);
                LastGood::remember('history', $key, $history);
                $stale = !empty($history['stale']);
            } catch (BridgeException $e) {
                $this->noteFailure($e);
                $last = LastGood::recall('history', $key);
                if ($last === null) {
                    return sprintf(
                        '<div class="switchyard-chart switchyard-unavailable" data-symbol="%s">%s</div>',
                        esc_attr($symbol),
                        esc_html(sprintf(__('Chart for %s unavailable', 'switchyard'), $symbol))
                    );
                }
                $history = $last['data'];
                $at = $last['at'];
                $stale = true;
            }
        }
        $svg = Chart::render($history, [
            'width' => (int) $atts['width'],
            'height' => (int) $atts['height'],
            'title' => $symbol . ' · ' . $range,
            'stale' => $stale,
        ]);
        $note = $stale ? '<figcaption class="switchyard-stale-note">' . esc_html(self::staleNote($at, $history)) . '</figcaption>' : '';
        return sprintf('<figure class="switchyard-chart-figure" data-symbol="%s">%s%s</figure>', esc_attr($symbol), $svg, $note);
    }

    /**
     * The quote for a symbol: fresh page cache, this request's prefetch, the bridge, or the last good value.
     *
     * @return array{data: array<mixed>|null, at: int|null, stale: bool}
     */
    private function quoteResult(string $symbol): array
    {
        if (isset($this->quotes[$symbol])) {
            return $this->quotes[$symbol];
        }
        $fresh = LastGood::fresh('quote', $symbol, (int) Settings::get('cache_ttl'));
        if ($fresh !== null) {
            return $this->quotes[$symbol] = ['data' => $fresh, 'at' => null, 'stale' => !empty($fresh['stale'])];
        }
        $client = Settings::client();
        try {
            if ($client === null || $this->bridgeDown) {
                throw BridgeException::unreachable('bridge not configured or down');
            }
            $quote = $client->quote($symbol);
            LastGood::remember('quote', $symbol, $quote);
            return $this->quotes[$symbol] = ['data' => $quote, 'at' => time(), 'stale' => !empty($quote['stale'])];
        } catch (BridgeException $e) {
            $this->noteFailure($e);
            $last = LastGood::recall('quote', $symbol);
            return $this->quotes[$symbol] = [
                'data' => $last === null ? null : $last['data'],
                'at' => $last === null ? null : $last['at'],
                'stale' => true,
            ];
        }
    }

    private function noteFailure(BridgeException $e): void
    {
        if ($e->getErrorCode() === BridgeException::UNREACHABLE) {
            $this->bridgeDown = true;
        }
    }

    /**
     * "stale · as of 2026-01-02 15:04 UTC"
     *
     * @param array<mixed> $data
     */
    private static function staleNote(?int $at, array $data): string
    {
        $when = '';
        if (isset($data['timestamp']) && is_string($data['timestamp']) && $data['timestamp'] !== '') {
            $parsed = strtotime($data['timestamp']);
            $when = $parsed !== false ? gmdate('Y-m-d H:i', $parsed) . ' UTC' : '';
        }
        if ($when === '' && $at !== null) {
            $when = gmdate('Y-m-d H:i', $at) . ' UTC';
        }
        return $when === '' ? __('stale', 'switchyard') : sprintf(__('stale · as of %s', 'switchyard'), $when);
    }
}
