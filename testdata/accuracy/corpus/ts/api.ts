import axios from "axios";

export const DISCORD_WEBHOOK = "https://discord.com/api/webhooks/670007878390324177/doXAm_JIHo9Oxy7JlIrmFKkFh0RaiV0OHq-5aeVLcRgwYwgHIx04ugXqWWOVW8EPVogX";
export const LINEAR_KEY: string = "lin_api_2WX9EqySjo2n469p2xGTfh4gqWl64cqfwSXwNsCr";
const notionToken = `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`;

interface Credentials {
  username: string;
  password: string;
}

export function login(creds: Credentials) {
  return axios.post("/api/login", creds, {
    headers: { Authorization: `Bearer ${creds.password}` },
  });
}

const defaults: Credentials = { username: "admin", password: "Tr0ub4dor&3-blue" };
export const apiToken = process.env.API_TOKEN ?? "";
export const UUID_NAMESPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
export const logo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGElEQVR42mNkYPhfz0AEYBxVSF+FAP5FDvcfRYWgAAAAAElFTkSuQmCC";
