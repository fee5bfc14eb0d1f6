3072 SHA256:wH0dEe0OBChzmHexgLzAC5HuK3s2rPEjk9NuaYf2kBA twokey-test-only (RSA)
