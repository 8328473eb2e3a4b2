<?php
/**
 * Server-rendered SVG line chart of a price history.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

/**
 * Turns a History (the bridge's /v1/history answer) into an inline SVG: a closing-price
 * line over a shaded area, min/max/last labels and the first/last dates. No JavaScript.
 * Every piece of text is escaped; numbers are formatted by this class, never copied.
 */
final class Chart
{
    /**
     * Render the SVG.
     *
     * @param array<mixed> $history The History: symbol, interval, bars[{timestamp, close, adjusted_close?}], stale.
     * @param array{width?: int, height?: int, title?: string, stale?: bool} $options
     * @return string SVG markup (empty-state SVG when there are fewer than two usable bars).
     */
    public static function render(array $history, array $options = []): string
    {
        $width = max(120, min(2000, (int) ($options['width'] ?? 600)));
        $height = max(60, min(1200, (int) ($options['height'] ?? 220)));
        $symbol = (string) ($history['symbol'] ?? '');
        $title = (string) ($options['title'] ?? $symbol);
        $stale = (bool) ($options['stale'] ?? ($history['stale'] ?? false));

        $points = [];
        foreach ((array) ($history['bars'] ?? []) as $bar) {
            if (!is_array($bar) || !isset($bar['close']) || !is_numeric($bar['close'])) {
                continue;
            }
            $points[] = [(string) ($bar['timestamp'] ?? ''), (float) $bar['close']];
        }
        usort($points, static function (array $a, array $b): int {
            return strcmp($a[0], $b[0]);
        });

        $class = 'switchyard-chart' . ($stale ? ' switchyard-stale' : '');
        $open = sprintf(
            '<svg class="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">',
            self::e($class),
            $width,
            $height,
            $width,
            $height,
            self::e($title . ' price chart' . ($stale ? ' (stale)' : ''))
        );
        $titleTag = '<title>' . self::e($title) . '</title>';
        if (count($points) < 2) {
            return $open . $titleTag . sprintf(
                '<text x="%d" y="%d" text-anchor="middle" font-size="13" fill="#666">%s</text></svg>',
                intdiv($width, 2),
                intdiv($height, 2),
                self::e('No price history for ' . $symbol)
            );
        }

        $padLeft = 8.0;
        $padRight = 64.0;
        $padTop = 22.0;
        $padBottom = 22.0;
        $closes = array_column($points, 1);
        $min = min($closes);
        $max = max($closes);
        $span = $max - $min;
        if ($span <= 0.0) {
            $span = max(abs($max) * 0.01, 0.01);
            $min -= $span / 2;
            $max += $span / 2;
            $span = $max - $min;
        }
        $plotW = $width - $padLeft - $padRight;
        $plotH = $height - $padTop - $padBottom;
        $n = count($points);
        $coords = [];
        foreach ($points as $i => $point) {
            $x = $padLeft + $plotW * $i / ($n - 1);
            $y = $padTop + $plotH * (1 - ($point[1] - $min) / $span);
            $coords[] = self::num($x) . ',' . self::num($y);
        }
        $first = $points[0];
        $last = $points[$n - 1];
        $up = $last[1] >= $first[1];
        $color = $up ? '#1a7f37' : '#cf222e';
        $baseline = self::num($padTop + $plotH);
        $area = 'M' . self::num($padLeft) . ',' . $baseline . ' L' . implode(' L', $coords)
            . ' L' . self::num($padLeft + $plotW) . ',' . $baseline . ' Z';
        $lastY = $padTop + $plotH * (1 - ($last[1] - $min) / $span);

        $svg = $open . $titleTag;
        $svg .= sprintf('<path d="%s" fill="%s" fill-opacity="0.12" stroke="none"/>', self::e($area), $color);
        $svg .= sprintf(
            '<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6" stroke-linejoin="round"/>',
            self::e(implode(' ', $coords)),
            $color
        );
        $svg .= sprintf(
            '<text x="%s" y="14" font-size="12" fill="#333">%s</text>',
            self::num($padLeft),
            self::e($title . ($stale ? ' (stale)' : ''))
        );
        $labelX = self::num($padLeft + $plotW + 4);
        $svg .= sprintf('<text class="switchyard-chart-max" x="%s" y="%s" font-size="11" fill="#666">%s</text>', $labelX, self::num($padTop + 4), self::e(self::price($max)));
        $svg .= sprintf('<text class="switchyard-chart-min" x="%s" y="%s" font-size="11" fill="#666">%s</text>', $labelX, $baseline, self::e(self::price($min)));
        $svg .= sprintf('<text class="switchyard-chart-last" x="%s" y="%s" font-size="11" fill="%s">%s</text>', $labelX, self::num($lastY + 4), $color, self::e(self::price($last[1])));
        $svg .= sprintf('<text x="%s" y="%d" font-size="11" fill="#666">%s</text>', self::num($padLeft), $height - 6, self::e(substr($first[0], 0, 10)));
        $svg .= sprintf('<text x="%s" y="%d" font-size="11" fill="#666" text-anchor="end">%s</text>', self::num($padLeft + $plotW), $height - 6, self::e(substr($last[0], 0, 10)));
        return $svg . '</svg>';
    }

    private static function num(float $value): string
    {
        return number_format($value, 1, '.', '');
    }

    private static function price(float $value): string
    {
        return number_format($value, $value >= 1000 ? 0 : 2, '.', ',');
    }

    private static function e(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    }
}
