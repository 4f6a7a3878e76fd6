package com.example.tls

// Keys the TLS integration tests load; generated for these tests only.
object TlsFixtures {
    const val SERVER_KEY: String = (
        "-----BEGIN RSA PRIVATE KEY-----\n" +
            "MIIEogIBAAKCAQEAzEBTMj0x0vAdSnnzjv+cPCWOoamAANlHB9X1fyzK0DCB/9Vj\n" +
            "MRIU2DOyj+ZwmLSJExnWzfu1vTa+VNkWGJN20xTqyMiJ+RtFcaDG6435H1nvhw7U\n" +
            "18X5Z8CV8puHPziSeGe8I8TNYgPy/AgNfqEKvlvC/W4eQfyB55CwfQ6meNKxpxgl\n" +
            "TIcXBNd86lrs0MBqkwAPy3slwtTB5wazAj0Wqux3Hd1j+Xka4toiPUI1xdYWKSom\n" +
            "Bgz13jurgMVh9/uTtruZan2BRJnW4hp4n2pLikZJdN8wBJd8EgkEvCQCF6jgG4I0\n" +
            "rRXHbCob86piSHXgfYix0cRmMeDUpm3YQEjd5t8W24ZSUOkxxkf4XsG5/656/L/E\n" +
            "x6eGZIGIZvjeQWD4v+CP17SoT+wURqwaJSNc7ciyDDbp05afj5qtlA6HBdu49pYe\n" +
            "-----END RSA PRIVATE KEY-----\n"
    )

    const val SERVER_KEY_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
}
