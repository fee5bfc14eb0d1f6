256 SHA256:sL6VkxxW3+BpT/pQ4DhMjJQKVqUhzwvB9TdJ5Pa/6H4 twokey-test-only (ED25519)
