<?php

declare(strict_types=1);

namespace Switchyard\Bridge\Tests\WordPress;

use PHPUnit\Framework\TestCase;
use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Client;
use Switchyard\Bridge\Signature;
use Switchyard\Bridge\Transport\WordPressTransport;
use Switchyard\Bridge\WordPressBridge;
use Switchyard\WordPress\ActionRoute;
use Switchyard\WordPress\Chart;
use Switchyard\WordPress\LastGood;
use Switchyard\WordPress\LogForwarder;
use Switchyard\WordPress\Settings;
use Switchyard\WordPress\Shortcodes;

/**
 * The plugin and the client inside a real WordPress, against the real bridge.
 */
final class PluginTest extends TestCase
{
    /** @var list<string> */
    private $httpCalls = [];

    protected function setUp(): void
    {
        Settings::reset();
        $this->httpCalls = [];
        add_action('http_api_debug', [$this, 'recordHttp'], 10, 5);
    }

    protected function tearDown(): void
    {
        remove_action('http_api_debug', [$this, 'recordHttp'], 10);
    }

    /** @param mixed $response */
    public function recordHttp($response, string $context, string $class, array $args, string $url): void
    {
        $this->httpCalls[] = $url;
    }

    public function testInsideWordPressTheClientUsesTheWordPressHttpApi(): void
    {
        self::assertInstanceOf(WordPressTransport::class, Client::defaultTransport());
        $client = Settings::client();
        self::assertNotNull($client);
        $quote = $client->quote('IBM');
        self::assertSame('IBM', $quote['symbol']);
        self::assertMatchesRegularExpression('/^\d+(\.\d+)?$/', (string) $quote['price']);
        self::assertCount(1, $this->httpCalls, 'the call went through wp_remote_request');
        self::assertStringContainsString('/v1/quotes/IBM', $this->httpCalls[0]);
    }

    public function testLoopbackBridgeIsReachableWithBlockExternal(): void
    {
        self::assertTrue(defined('WP_HTTP_BLOCK_EXTERNAL') && WP_HTTP_BLOCK_EXTERNAL, 'the site blocks external hosts');
        $health = (new Client())->health();
        self::assertContains($health['status'], ['ok', 'degraded', 'fail']);
    }

    public function testUnixSocketThroughTheWordPressHttpApi(): void
    {
        $socket = (string) getenv('SWITCHYARD_TEST_BRIDGE_SOCKET');
        if ($socket === '') {
            self::markTestSkipped('SWITCHYARD_TEST_BRIDGE_SOCKET not set');
        }
        $client = new Client('unix://' . $socket);
        self::assertInstanceOf(WordPressTransport::class, Client::defaultTransport());
        self::assertSame('IBM', $client->quote('IBM')['symbol']);
        self::assertSame(['http://localhost/v1/quotes/IBM'], $this->httpCalls);
    }

    public function testWordPressBridgeReturnsWpErrorWithTheContractCode(): void
    {
        $bridge = new WordPressBridge();
        $error = $bridge->quote('ZZZZNOTASYMBOL');
        self::assertInstanceOf(\WP_Error::class, $error);
        self::assertSame('switchyard_unknown_symbol', $error->get_error_code());
        self::assertSame(404, $error->get_error_data()['status']);
        self::assertFalse($error->get_error_data()['retryable']);
    }

    public function testWrongTokenIsUnauthorizedAndNeverEchoed(): void
    {
        $bad = 'wrong-token-' . bin2hex(random_bytes(8));
        $bridge = new WordPressBridge(new Client(null, $bad));
        $error = $bridge->alertRules();
        self::assertInstanceOf(\WP_Error::class, $error);
        self::assertSame('switchyard_unauthorized', $error->get_error_code());
        self::assertStringNotContainsString($bad, $error->get_error_message());
        self::assertStringNotContainsString($bad, print_r($error, true));
    }

    public function testUnreachableBridgeIsAWpError(): void
    {
        $bridge = new WordPressBridge(new Client('http://127.0.0.1:9', 'x', ['timeout' => 1.0]));
        $error = $bridge->quote('IBM');
        self::assertInstanceOf(\WP_Error::class, $error);
        self::assertSame('switchyard_bridge_unreachable', $error->get_error_code());
        self::assertTrue($error->get_error_data()['retryable']);
    }

    public function testQuoteShortcodeRendersTheBridgePrice(): void
    {
        $quote = (new Client())->quote('IBM');
        $html = do_shortcode('[switchyard_quote symbol="ibm"]');
        self::assertStringContainsString('<span class="switchyard-price">' . esc_html((string) $quote['price']) . '</span>', $html);
        self::assertStringContainsString('data-symbol="IBM"', $html);
    }

    public function testQuoteShortcodeRefusesAnInvalidSymbolWithoutCallingTheBridge(): void
    {
        $html = do_shortcode('[switchyard_quote symbol="IBM; DROP TABLE"]');
        self::assertStringNotContainsString('DROP', $html);
        self::assertStringContainsString('switchyard-error', $html);
        self::assertSame([], $this->httpCalls);
    }

    public function testChartShortcodeRendersOnePointPerBar(): void
    {
        $history = (new Client())->history('IBM', ['range' => '6mo', 'interval' => '1d']);
        $html = do_shortcode('[switchyard_chart symbol="IBM" range="6mo"]');
        self::assertStringContainsString('<svg class="switchyard-chart"', $html);
        self::assertSame(1, preg_match('/<polyline points="([^"]+)"/', $html, $m));
        self::assertCount(count($history['bars']), explode(' ', $m[1]));
    }

    public function testLastGoodValueServesStaleWhenTheBridgeIsDown(): void
    {
        $shortcodes = new Shortcodes();
        $good = do_shortcode('[switchyard_quote symbol="IBM"]');
        self::assertSame(1, preg_match('#<span class="switchyard-price">([^<]+)</span>#', $good, $m));
        // Point a fresh Shortcodes instance at a dead bridge through the shared client.
        Settings::reset();
        $dead = new \ReflectionProperty(Settings::class, 'client');
        $dead->setAccessible(true);
        $dead->setValue(null, new Client('http://127.0.0.1:9', 'x', ['timeout' => 0.5]));
        try {
            $html = $shortcodes->quote(['symbol' => 'IBM']);
        } finally {
            Settings::reset();
        }
        self::assertStringContainsString('switchyard-stale', $html);
        self::assertStringContainsString('<span class="switchyard-price">' . $m[1] . '</span>', $html);
        self::assertStringContainsString('switchyard-stale-note', $html);
    }

    public function testFlushForgetsLastGoodValues(): void
    {
        LastGood::remember('quote', 'TEST', ['price' => '1.00']);
        self::assertNotNull(LastGood::recall('quote', 'TEST'));
        LastGood::flush();
        self::assertNull(LastGood::recall('quote', 'TEST'));
    }

    public function testSignatureIsRememberedOnceAtomically(): void
    {
        $signature = Signature::sign('s', time(), 'body-' . bin2hex(random_bytes(4)));
        self::assertTrue(ActionRoute::rememberSignature($signature));
        self::assertFalse(ActionRoute::rememberSignature($signature));
        self::assertFalse(ActionRoute::rememberSignature(strtoupper($signature)));
    }

    public function testSignedRestRequestRunsTheActionOnce(): void
    {
        $secret = (string) Settings::get('action_secret');
        self::assertNotSame('', $secret);
        LastGood::remember('quote', 'FLUSHME', ['price' => '1.00']);
        $body = '{"id":"n-' . bin2hex(random_bytes(4)) . '","action":"flush_cache","params":{},"rule_id":"phpunit"}';
        $request = new \WP_REST_Request('POST', '/switchyard/v1/action');
        $request->set_body($body);
        foreach (Signature::headers($secret, $body) as $name => $value) {
            $request->set_header($name, $value);
        }
        $response = rest_do_request($request);
        self::assertSame(200, $response->get_status(), (string) wp_json_encode($response->get_data()));
        self::assertNull(LastGood::recall('quote', 'FLUSHME'));
        $again = rest_do_request($request);
        self::assertSame(409, $again->get_status());
        $unsigned = new \WP_REST_Request('POST', '/switchyard/v1/action');
        $unsigned->set_body($body);
        self::assertSame(401, rest_do_request($unsigned)->get_status());
    }

    public function testForwarderChainsThePreviousHandlerAndBatches(): void
    {
        $seen = [];
        $previous = set_error_handler(static function (int $no, string $str) use (&$seen): bool {
            $seen[] = $str;
            return true;
        });
        $forwarder = new LogForwarder();
        try {
            $forwarder->install();
            foreach ([1, 2] as $ignored) {
                trigger_error('phpunit forwarded warning', E_USER_WARNING);
            }
            @trigger_error('silenced', E_USER_WARNING);
            $forwarder->event('error', 'phpunit event', ['k' => 'v']);
            self::assertSame([1, 1], $forwarder->pending(), 'repeats are folded into one line');
            self::assertSame(['phpunit forwarded warning', 'phpunit forwarded warning', 'silenced'], $seen);
            self::assertTrue($forwarder->flush());
            self::assertSame([0, 0], $forwarder->pending());
        } finally {
            restore_error_handler();
            restore_error_handler();
            if ($previous !== null) {
                set_error_handler($previous);
                restore_error_handler();
            }
        }
    }
}
