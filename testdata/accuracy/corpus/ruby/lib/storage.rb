require "aws-sdk-s3"

module Storage
  CREDS = Aws::Credentials.new(
    "AKIANIDLYNFYYR44FD22",
    "54vsD2SvAS0plBeqBZaxOllvvLugxi4CRJlMiL1g"
  )

  def self.client
    Aws::S3::Client.new(region: "eu-west-1", credentials: CREDS)
  end

  def self.signing_secret
    ENV.fetch("SIGNING_SECRET")
  end
end
