1024 SHA256:ghxxQp3uQE1OuwwpOnIm8ZlWfJm10OrWC59YBXpd340 twokey-test-only (RSA)
