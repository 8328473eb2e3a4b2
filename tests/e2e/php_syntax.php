<?php
/**
 * Refuse PHP 8-only syntax in the given files, so the client and the plugin keep running on
 * PHP 7.4 even though CI lints them with a newer PHP. Prints "file:line: reason" per finding.
 */

declare(strict_types=1);

$forbidden = [];
foreach (['T_MATCH' => 'match expression', 'T_NULLSAFE_OBJECT_OPERATOR' => 'nullsafe operator ?->',
          'T_ATTRIBUTE' => 'attribute #[...]', 'T_ENUM' => 'enum', 'T_READONLY' => 'readonly'] as $name => $why) {
    if (defined($name)) {
        $forbidden[constant($name)] = $why;
    }
}
$status = 0;
foreach (array_slice($argv, 1) as $file) {
    $code = (string) file_get_contents($file);
    foreach (token_get_all($code) as $token) {
        if (is_array($token) && isset($forbidden[$token[0]])) {
            printf("%s:%d: %s needs PHP 8\n", $file, $token[2], $forbidden[$token[0]]);
            $status = 1;
        }
    }
    $checks = [
        '/\)\s*:\s*\??(mixed|never|static)\b/' => 'return type mixed/never/static needs PHP 8',
        '/function\s*\w*\s*\([^)]*\b[\w\\\\]+\|[\w\\\\|]+\s+&?\$/' => 'union type needs PHP 8',
        '/function\s+__construct\s*\([^)]*\b(public|private|protected)\s/' => 'constructor promotion needs PHP 8',
        '/\bstr_(contains|starts_with|ends_with)\s*\(/' => 'str_contains/str_starts_with/str_ends_with need PHP 8',
    ];
    foreach ($checks as $pattern => $why) {
        if (preg_match_all($pattern, $code, $m, PREG_OFFSET_CAPTURE)) {
            foreach ($m[0] as $hit) {
                printf("%s:%d: %s\n", $file, substr_count($code, "\n", 0, $hit[1]) + 1, $why);
                $status = 1;
            }
        }
    }
    if (!preg_match('/^<\?php\s+(\/\*\*.*?\*\/\s*)?declare\(strict_types=1\);/s', $code)) {
        printf("%s:1: missing declare(strict_types=1) at the top\n", $file);
        $status = 1;
    }
}
exit($status);
