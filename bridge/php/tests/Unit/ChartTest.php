<?php

declare(strict_types=1);

namespace Switchyard\Bridge\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Switchyard\WordPress\Chart;

require_once dirname(__DIR__, 3) . '/wordpress/switchyard/includes/class-switchyard-chart.php';

final class ChartTest extends TestCase
{
    /** @return list<array{timestamp: string, close: string}> */
    private static function bars(array $closes): array
    {
        $bars = [];
        foreach ($closes as $i => $close) {
            $bars[] = ['timestamp' => sprintf('2026-01-%02dT00:00:00Z', $i + 1), 'close' => (string) $close];
        }
        return $bars;
    }

    public function testOnePointPerBarInDateOrder(): void
    {
        $bars = array_reverse(self::bars([10, 12, 11, 15]));
        $svg = Chart::render(['symbol' => 'IBM', 'bars' => $bars]);
        self::assertSame(1, preg_match('/<polyline points="([^"]+)"/', $svg, $m));
        $points = explode(' ', $m[1]);
        self::assertCount(4, $points);
        $ys = array_map(static function (string $p): float {
            return (float) explode(',', $p)[1];
        }, $points);
        // Highest close (15, last date) is highest on screen (smallest y); lowest (10, first) lowest.
        self::assertSame(min($ys), $ys[3]);
        self::assertSame(max($ys), $ys[0]);
        self::assertStringContainsString('15.00', $svg);
        self::assertStringContainsString('10.00', $svg);
        self::assertStringContainsString('2026-01-01', $svg);
        self::assertStringContainsString('2026-01-04', $svg);
    }

    public function testRisingIsGreenFallingIsRed(): void
    {
        self::assertStringContainsString('#1a7f37', Chart::render(['bars' => self::bars([1, 2])]));
        self::assertStringContainsString('#cf222e', Chart::render(['bars' => self::bars([2, 1])]));
    }

    public function testFlatSeriesDoesNotDivideByZero(): void
    {
        $svg = Chart::render(['symbol' => 'X', 'bars' => self::bars([5, 5, 5])]);
        self::assertStringNotContainsString('NAN', strtoupper($svg));
        self::assertStringNotContainsString('INF', strtoupper($svg));
    }

    public function testTooFewBarsGivesAnEmptyState(): void
    {
        $svg = Chart::render(['symbol' => 'IBM', 'bars' => self::bars([5])]);
        self::assertStringContainsString('No price history for IBM', $svg);
        self::assertStringNotContainsString('<polyline', $svg);
    }

    public function testUnusableBarsAreSkipped(): void
    {
        $bars = self::bars([1, 2, 3]);
        $bars[] = ['timestamp' => '2026-02-01T00:00:00Z', 'close' => 'n/a'];
        $bars[] = 'garbage';
        $svg = Chart::render(['bars' => $bars]);
        preg_match('/<polyline points="([^"]+)"/', $svg, $m);
        self::assertCount(3, explode(' ', $m[1]));
    }

    public function testStaleIsMarked(): void
    {
        $svg = Chart::render(['symbol' => 'IBM', 'bars' => self::bars([1, 2]), 'stale' => true]);
        self::assertStringContainsString('switchyard-chart switchyard-stale', $svg);
        self::assertStringContainsString('(stale)', $svg);
    }

    public function testEverythingIsEscapedAndTheSvgIsWellFormed(): void
    {
        $bars = self::bars([10, 11]);
        $bars[0]['timestamp'] = '2026"<b>x</b>';
        $svg = Chart::render(['symbol' => '"><script>x</script>', 'bars' => $bars], ['title' => '<img src=x onerror=alert(1)>']);
        self::assertStringNotContainsString('<script>', $svg);
        self::assertStringNotContainsString('<img', $svg);
        self::assertStringNotContainsString('<b>', $svg);
        $doc = new \DOMDocument();
        self::assertTrue($doc->loadXML($svg));
        self::assertSame('svg', $doc->documentElement->nodeName);
    }

    public function testSizeIsClamped(): void
    {
        $svg = Chart::render(['bars' => self::bars([1, 2])], ['width' => 100000, 'height' => -5]);
        self::assertStringContainsString('width="2000" height="60"', $svg);
    }
}
