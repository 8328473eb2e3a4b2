<?php

declare(strict_types=1);

namespace Switchyard\Bridge\Tests\Live;

use PHPUnit\Framework\TestCase;
use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Client;
use Switchyard\Bridge\Transport\CurlTransport;

/**
 * The curl client against a running `bridge serve` (SWITCHYARD_TEST_BRIDGE_URL/_TOKEN).
 */
final class ClientLiveTest extends TestCase
{
    /** @var string */
    private $url = '';
    /** @var string */
    private $token = '';

    protected function setUp(): void
    {
        $this->url = (string) getenv('SWITCHYARD_TEST_BRIDGE_URL');
        $this->token = (string) getenv('SWITCHYARD_TEST_BRIDGE_TOKEN');
        if ($this->url === '' || $this->token === '') {
            self::markTestSkipped('set SWITCHYARD_TEST_BRIDGE_URL and SWITCHYARD_TEST_BRIDGE_TOKEN (nox -s e2e does)');
        }
    }

    private function client(array $options = []): Client
    {
        return new Client($this->url, $this->token, $options + ['transport' => new CurlTransport()]);
    }

    public function testHealthAnswersWithoutToken(): void
    {
        $health = (new Client($this->url, '', ['transport' => new CurlTransport()]))->health();
        self::assertContains($health['status'], ['ok', 'degraded', 'fail']);
        self::assertIsArray($health['checks']);
    }

    public function testQuoteHasTheContractShape(): void
    {
        $quote = $this->client()->quote('IBM');
        self::assertSame('IBM', $quote['symbol']);
        foreach (['price', 'previous_close', 'change', 'change_percent', 'timestamp', 'provider', 'fetched_at', 'stale'] as $field) {
            self::assertArrayHasKey($field, $quote);
        }
        self::assertIsString($quote['price'], 'decimals travel as strings');
        self::assertGreaterThan(0, (float) $quote['price']);
    }

    public function testQuotesReportsPerSymbolErrors(): void
    {
        $result = $this->client()->quotes(['IBM', 'ZZZNOPE']);
        self::assertSame(['IBM'], array_column($result['quotes'], 'symbol'));
        self::assertSame('unknown_symbol', $result['errors']['ZZZNOPE']['code']);
    }

    public function testUnknownSymbolIsA404BridgeException(): void
    {
        try {
            $this->client()->quote('ZZZNOPE');
            self::fail('expected BridgeException');
        } catch (BridgeException $e) {
            self::assertSame('unknown_symbol', $e->getErrorCode());
            self::assertSame(404, $e->getHttpStatus());
            self::assertFalse($e->isRetryable());
        }
    }

    public function testInvalidRangeIs422NamingTheField(): void
    {
        try {
            $this->client()->history('IBM', ['range' => '7weeks']);
            self::fail('expected BridgeException');
        } catch (BridgeException $e) {
            self::assertSame('invalid_request', $e->getErrorCode());
            self::assertSame(422, $e->getHttpStatus());
            self::assertStringContainsString('range', $e->getMessage());
        }
    }

    public function testHistoryNewsSearchProfile(): void
    {
        $client = $this->client();
        $history = $client->history('IBM', ['interval' => '1d', 'range' => '1mo']);
        self::assertNotEmpty($history['bars']);
        self::assertArrayHasKey('close', $history['bars'][0]);
        self::assertIsArray($client->news('IBM', 3));
        self::assertContains('IBM', array_column($client->search('IBM'), 'symbol'));
        self::assertSame('IBM', $client->profile('IBM')['symbol']);
    }

    public function testConvertRoundTripsLossless(): void
    {
        $client = $this->client();
        $doc = ['name' => 'Zoë', 'n' => 1.5, 'list' => [1, 'two', null, true], 'empty' => new \stdClass()];
        $json = Client::encodeJson($doc);
        $xml = $client->jsonToXml($json, 'lossless');
        self::assertStringContainsString('<', $xml);
        $back = $client->xmlToJsonString($xml, 'lossless');
        self::assertEquals(json_decode($json), json_decode($back));
    }

    public function testLogIsAccepted(): void
    {
        $client = $this->client();
        self::assertTrue($client->log(['PHP Notice:  phpunit live log line in /x.php on line 1'], [['level' => 'info', 'message' => 'phpunit live event']]));
        $response = $client->send('POST', '/v1/logs', [], '{"source":"phpunit","lines":["x"]}', 'application/json');
        self::assertSame(202, $response->status);
        self::assertSame(1, json_decode($response->body, true)['accepted']);
    }

    public function testLogAnalysisAndAlertListings(): void
    {
        $client = $this->client();
        self::assertIsArray($client->logAnalysis());
        self::assertIsArray($client->alertRules());
        self::assertIsArray($client->alertHistory());
        self::assertIsArray($client->alertOutbox());
        self::assertStringContainsString('# TYPE', $client->metrics());
    }

    public function testAlertRuleCrud(): void
    {
        $client = $this->client();
        $id = 'phpunit-' . bin2hex(random_bytes(4));
        $created = $client->createAlertRule(['id' => $id, 'kind' => 'price_below', 'symbol' => 'IBM', 'threshold' => '0.01']);
        self::assertSame($id, $created['id'] ?? ($created['rule']['id'] ?? null));
        self::assertSame($id, $client->alertRule($id)['id'] ?? null);
        $client->updateAlertRule($id, ['id' => $id, 'kind' => 'price_below', 'symbol' => 'IBM', 'threshold' => '0.02']);
        self::assertSame('0.02', (string) ($client->alertRule($id)['threshold'] ?? ''));
        self::assertIsArray($client->testAlertRule($id));
        $client->deleteAlertRule($id);
        try {
            $client->alertRule($id);
            self::fail('expected not_found');
        } catch (BridgeException $e) {
            self::assertSame('not_found', $e->getErrorCode());
        }
    }

    public function testInvalidRuleIs422(): void
    {
        $this->expectException(BridgeException::class);
        $this->client()->createAlertRule(['id' => 'bad rule id!', 'kind' => 'nonsense']);
    }

    public function testWrongTokenIsUnauthorizedWithoutEchoingIt(): void
    {
        $wrong = 'wrong-' . bin2hex(random_bytes(12));
        try {
            (new Client($this->url, $wrong, ['transport' => new CurlTransport()]))->quote('IBM');
            self::fail('expected unauthorized');
        } catch (BridgeException $e) {
            self::assertSame('unauthorized', $e->getErrorCode());
            self::assertSame(401, $e->getHttpStatus());
            self::assertStringNotContainsString($wrong, (string) $e);
        }
    }

    public function testRequestIdIsEchoed(): void
    {
        $client = $this->client(['request_id' => 'phpunit-req-0001']);
        $response = $client->send('GET', '/v1/quotes/IBM');
        self::assertSame('phpunit-req-0001', $response->header('x-request-id'));
    }

    public function testUnixSocketWhenOffered(): void
    {
        $socket = (string) getenv('SWITCHYARD_TEST_BRIDGE_SOCKET');
        if ($socket === '') {
            self::markTestSkipped('SWITCHYARD_TEST_BRIDGE_SOCKET not set');
        }
        $client = new Client('unix://' . $socket, $this->token, ['transport' => new CurlTransport()]);
        self::assertSame('IBM', $client->quote('IBM')['symbol']);
    }

    public function testDeadBridgeFailsWithOneExceptionType(): void
    {
        $client = new Client('http://127.0.0.1:9', $this->token, ['transport' => new CurlTransport(), 'timeout' => 1.0]);
        try {
            $client->quote('IBM');
            self::fail('expected bridge_unreachable');
        } catch (BridgeException $e) {
            self::assertSame(BridgeException::UNREACHABLE, $e->getErrorCode());
            self::assertStringNotContainsString($this->token, (string) $e);
        }
        self::assertFalse($client->log(['x']));
    }
}
