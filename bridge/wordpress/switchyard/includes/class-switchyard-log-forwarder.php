<?php
/**
 * Forwards PHP errors and plugin log events to the bridge (POST /v1/logs), once per request.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

/**
 * Collects PHP errors (set_error_handler, chained to the handler that was there before, so
 * debug.log and other tools still see them), fatal errors (shutdown function reading
 * error_get_last()) and events from `do_action('switchyard_log', $level, $message, $context)`;
 * sends them as one batch at shutdown.
 *
 * The send never blocks the visitor for long: under PHP-FPM the response is finished
 * first (fastcgi_finish_request); otherwise the call has a 0.5 s cap, and the bridge
 * answers 202 at once. After a failed send, forwarding pauses for a minute (transient),
 * and the batch's events go to error_log() instead, so nothing is silently lost.
 */
final class LogForwarder
{
    public const BACKOFF_TRANSIENT = 'switchyard_log_backoff';
    public const MAX_ENTRIES = 200;
    private const FATALS = E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_RECOVERABLE_ERROR;

    /** @var array<string, array{line: string, count: int}> */
    private $lines = [];
    /** @var list<array{level: string, message: string, context: array<string, mixed>, timestamp: string}> */
    private $events = [];
    /** @var callable|null */
    private $previous;
    /** @var bool */
    private $sending = false;
    /** @var bool */
    private $installed = false;
    /** @var int */
    private $dropped = 0;
    /** @var bool */
    private $fatalRecorded = false;
    /** @var bool|null read once per request, not on every error */
    private $deprecations;

    /**
     * Install the error and shutdown handlers (once).
     */
    public function install(): void
    {
        if ($this->installed) {
            return;
        }
        $this->installed = true;
        $this->previous = set_error_handler([$this, 'handleError']);
        register_shutdown_function([$this, 'shutdown']);
    }

    /**
     * The error handler: record, then hand over to the previous handler (or PHP's own).
     *
     * @return bool What the previous handler returned; false lets PHP log the error as usual.
     */
    public function handleError(int $errno, string $errstr, string $errfile = '', int $errline = 0): bool
    {
        if (!$this->sending && (error_reporting() & $errno) && $this->wanted($errno)) {
            $this->addLine(sprintf('PHP %s:  %s in %s on line %d', self::label($errno), $errstr, $errfile, $errline));
        }
        if ($this->previous !== null) {
            return (bool) call_user_func($this->previous, $errno, $errstr, $errfile, $errline);
        }
        return false;
    }

    /**
     * A structured event from `do_action('switchyard_log', $level, $message, $context)`.
     *
     * @param mixed $level debug|info|notice|warning|error|critical
     * @param mixed $message
     * @param mixed $context
     */
    public function event($level, $message = '', $context = []): void
    {
        if (count($this->events) >= self::MAX_ENTRIES) {
            $this->dropped++;
            return;
        }
        $this->events[] = [
            'level' => strtolower((string) $level) ?: 'info',
            'message' => (string) $message,
            'context' => is_array($context) ? $context : ['value' => $context],
            'timestamp' => gmdate('Y-m-d\TH:i:s\Z'),
        ];
    }

    /**
     * The shutdown function: pick up a fatal error, then send the batch.
     */
    public function shutdown(): void
    {
        $this->recordFatal();
        $this->flush();
    }

    /**
     * `wp_php_error_message` filter: WordPress's fatal-error handler runs before this plugin's
     * shutdown function and ends the request with wp_die(), so the batch is sent from here.
     *
     * @param mixed $message The error page's message, returned unchanged.
     * @return mixed
     */
    public function beforeFatalPage($message)
    {
        $this->recordFatal();
        $this->flush(false);
        return $message;
    }

    private function recordFatal(): void
    {
        if ($this->fatalRecorded) {
            return;
        }
        $last = error_get_last();
        if (is_array($last) && ($last['type'] & self::FATALS)) {
            $this->fatalRecorded = true;
            $this->addLine(sprintf('PHP %s:  %s in %s on line %d', self::label((int) $last['type']), (string) $last['message'], (string) $last['file'], (int) $last['line']));
        }
    }

    /**
     * Send what was collected, if anything. Returns true when the bridge accepted it.
     *
     * @param bool $finishResponse Under PHP-FPM / LiteSpeed, send the response to the visitor
     *        first (false while WordPress is still to print its error page).
     */
    public function flush(bool $finishResponse = true): bool
    {
        if ($this->lines === [] && $this->events === []) {
            return true;
        }
        $lines = [];
        foreach ($this->lines as $entry) {
            $lines[] = $entry['count'] > 1 ? $entry['line'] . sprintf(' [repeated %d times]', $entry['count']) : $entry['line'];
        }
        $events = $this->events;
        if ($this->dropped > 0) {
            $events[] = ['level' => 'warning', 'message' => sprintf('switchyard: %d log entries dropped this request', $this->dropped), 'context' => [], 'timestamp' => gmdate('Y-m-d\TH:i:s\Z')];
        }
        $this->lines = [];
        $this->events = [];
        $this->dropped = 0;
        if (!Settings::get('forward_logs') || get_transient(self::BACKOFF_TRANSIENT)) {
            $this->fallback($events);
            return false;
        }
        $client = Settings::client();
        if ($client === null) {
            $this->fallback($events);
            return false;
        }
        if ($finishResponse && PHP_SAPI !== 'cli' && function_exists('fastcgi_finish_request')) {
            fastcgi_finish_request();
        } elseif ($finishResponse && PHP_SAPI !== 'cli' && function_exists('litespeed_finish_request')) {
            litespeed_finish_request();
        }
        $this->sending = true;
        try {
            $accepted = $client->log($lines, $events, 'wordpress');
        } finally {
            $this->sending = false;
        }
        if (!$accepted) {
            set_transient(self::BACKOFF_TRANSIENT, 1, MINUTE_IN_SECONDS);
            $this->fallback($events);
        }
        return $accepted;
    }

    /**
     * How many entries wait to be sent (lines, events).
     *
     * @return array{0: int, 1: int}
     */
    public function pending(): array
    {
        return [count($this->lines), count($this->events)];
    }

    private function addLine(string $line): void
    {
        $key = md5($line);
        if (isset($this->lines[$key])) {
            $this->lines[$key]['count']++;
            return;
        }
        if (count($this->lines) >= self::MAX_ENTRIES) {
            $this->dropped++;
            return;
        }
        $this->lines[$key] = ['line' => $line, 'count' => 1];
    }

    private function wanted(int $errno): bool
    {
        if ($errno & (E_DEPRECATED | E_USER_DEPRECATED)) {
            if ($this->deprecations === null) {
                $this->deprecations = (bool) Settings::get('forward_deprecations');
            }
            return $this->deprecations;
        }
        return true;
    }

    /**
     * Events not delivered go to PHP's error log (PHP errors are there already).
     *
     * @param list<array{level: string, message: string, context: array<string, mixed>, timestamp: string}> $events
     */
    private function fallback(array $events): void
    {
        foreach ($events as $event) {
            error_log(sprintf('switchyard %s: %s %s', $event['level'], $event['message'], $event['context'] === [] ? '' : (string) wp_json_encode($event['context'])));
        }
    }

    /** PHP's own label for an error level, as in its error log. */
    public static function label(int $errno): string
    {
        switch ($errno) {
            case E_ERROR:
            case E_CORE_ERROR:
            case E_COMPILE_ERROR:
            case E_USER_ERROR:
                return 'Fatal error';
            case E_RECOVERABLE_ERROR:
                return 'Recoverable fatal error';
            case E_WARNING:
            case E_CORE_WARNING:
            case E_COMPILE_WARNING:
            case E_USER_WARNING:
                return 'Warning';
            case E_PARSE:
                return 'Parse error';
            case E_NOTICE:
            case E_USER_NOTICE:
                return 'Notice';
            case E_DEPRECATED:
            case E_USER_DEPRECATED:
                return 'Deprecated';
            default:
                return 'Unknown error';
        }
    }
}
