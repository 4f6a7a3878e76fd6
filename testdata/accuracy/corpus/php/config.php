<?php
// Legacy configuration, kept for the migration scripts.
define('DB_HOST', 'mysql.internal');
define('DB_USER', 'shop');
define('DB_PASSWORD', 'Kx!9vQ#2mZ7p');
define('AUTH_KEY', 'grgWuafdYmSwL59LxFuHZVAOmU-6mA9IBRm9oh1V2kaibEbM');

$config = [
    'mailgun_key' => 'key-e2225f7047661c40565c350238355766',
    'paypal_secret' => getenv('PAYPAL_SECRET'),
    'redis' => 'redis://default:6oJyWeLLmxskSL4Avy2hclTfd0GyHGoO@redis-12345.c1.us-east-1-2.ec2.cloud.redislabs.com:12345',
    'api_password' => '********',
];

$dsn = "mysql:host=" . DB_HOST . ";dbname=shop";
$pdo = new PDO($dsn, DB_USER, DB_PASSWORD);
