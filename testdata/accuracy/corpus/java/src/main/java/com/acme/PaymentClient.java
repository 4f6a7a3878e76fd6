package com.acme;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.URI;

public class PaymentClient {
    private static final String SQUARE_TOKEN = "EAAAnzIaFH0fr2diNrYSnGSkEs-VrKQNq6Ny5E4b0-z5JuqaLv-RmCcvIeUualKW";
    private static final String TWILIO_SID = "AC928c228a660806499fec619958b7bea3";
    private static final String TWILIO_AUTH_TOKEN = "007c700e291ebea48808f4f026023091";
    private static final String JDBC = "jdbc:sqlserver://sql01:1433;databaseName=payments;user=pay_svc;password=Blu3-Ocean!77";
    private final String apiKey = System.getenv("PAYMENT_API_KEY");

    public HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("https://connect.squareup.com" + path))
            .header("Authorization", "Bearer " + SQUARE_TOKEN)
            .build();
    }

    public static void main(String[] args) {
        String password = args.length > 0 ? args[0] : "";
        char[] keystorePassword = "Kst0re!Pa55-prod".toCharArray();
        System.out.println(password.length() + keystorePassword.length);
    }
}
