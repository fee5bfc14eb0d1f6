2048 SHA256:nR1mtwpgXOWGdbe20aN7an70JrjeJ3C6hqrRDdq16g4 twokey-test-only (RSA)
