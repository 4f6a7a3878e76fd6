// WebSocket client handshake (RFC 6455 section 1.3).
const headers = {
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

const cacheKey = 'c0a7f3e1b29d4f6a8e5c7b1d3f9a2e4c';
const sortKey = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const partition_key = '5d41402abc4b2a76b9719d911017c592';

export default headers;
