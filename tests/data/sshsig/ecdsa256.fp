256 SHA256:JgvVnKh7Y0FESWbOMriNiueqjH1nQEppLhZetA4KhyA twokey-test-only (ECDSA)
