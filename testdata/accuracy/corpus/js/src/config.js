// Runtime configuration for the storefront API.
const config = {
  port: process.env.PORT || 3000,
  mongoUri: "mongodb+srv://storefront:Pq8%23Lw2%40Vt5s@cluster0.a1b2c.mongodb.net/shop?retryWrites=true",
  shopify: {
    apiKey: process.env.SHOPIFY_API_KEY,
    accessToken: "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",
  },
  mailchimpKey: "d85675e103ae991808b9274b18d9c40a-us20",
  jwtSecret: "54vsD2SvAS0plBeqBZaxOllvvLugxi4CRJlMiL1g",
  sessionCookieName: "storefront.sid",
  algoliaAdminKey: '14987200cb00470034538632102068c3',
};

const stripe = require("stripe")("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");

// Integrity of the vendored widget (not a secret)
const WIDGET_SRI = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC";
const placeholderKey = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx";

module.exports = { config, stripe, WIDGET_SRI, placeholderKey };
