<?php
// Create a payment over REST, watch it, have the sandbox pay it, print the result. php-cli with php-curl.
// BAKONG_WEB=http://127.0.0.1:5081 [BAKONG_KEY=bk_...] php pay.php
$web = getenv('BAKONG_WEB') ?: 'http://127.0.0.1:5081';
$key = getenv('BAKONG_KEY');

// One JSON call; errors are a google.rpc.Status {"code","message","details"} whatever failed.
function call(string $method, string $url, ?array $body = null, ?string $key = null): array {
    $curl = curl_init($url);
    $headers = ['Content-Type: application/json'];
    if ($key) $headers[] = "Authorization: Bearer $key"; // a Sandbox gateway on loopback needs none
    curl_setopt_array($curl, [CURLOPT_CUSTOMREQUEST => $method, CURLOPT_RETURNTRANSFER => true,
        CURLOPT_HTTPHEADER => $headers, CURLOPT_TIMEOUT => 30]);
    if ($body !== null) curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body));
    $answer = json_decode(curl_exec($curl) ?: 'null', true);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    if ($status >= 400 || !is_array($answer)) {
        fwrite(STDERR, "error: HTTP $status: " . ($answer['message'] ?? 'no answer') . "\n");
        exit(1);
    }
    return $answer;
}

// Retrying with the same requestId is safe: the gateway returns the same payment, never a second QR.
$payment = call('POST', "$web/v1/payments", [
    'requestId' => 'php-example-' . hrtime(true), 'terminalId' => 'POS-01', 'orderRef' => 'INV-PHP-1',
    'amount' => ['currencyCode' => 'KHR', 'units' => 4000],
], $key)['payment'];
echo "created {$payment['paymentId']}: {$payment['amount']['units']} {$payment['amount']['currencyCode']}, show this QR: {$payment['khqr']}\n";

// Play the customer: the sandbox's control API pays the QR.
call('POST', "$web/sandbox/control/pay", ['qr' => $payment['khqr']]);

// The watch is one JSON object per line, ending after a terminal state.
$curl = curl_init("$web/v1/payments/{$payment['paymentId']}:watch");
$buffer = '';
$state = null;
curl_setopt_array($curl, [CURLOPT_TIMEOUT => 120, CURLOPT_HTTPHEADER => $key ? ["Authorization: Bearer $key"] : [],
    CURLOPT_WRITEFUNCTION => function ($curl, $chunk) use (&$buffer, &$state) {
        $buffer .= $chunk;
        while (($end = strpos($buffer, "\n")) !== false) {
            $line = json_decode(substr($buffer, 0, $end), true);
            $buffer = substr($buffer, $end + 1);
            $state = $line['payment']['state'] ?? $state;
            echo "watch: $state (version {$line['payment']['version']})\n";
        }
        return strlen($chunk);
    }]);
curl_exec($curl);
echo "result: $state\n";
exit($state === 'STATE_PAID' ? 0 : 2);
