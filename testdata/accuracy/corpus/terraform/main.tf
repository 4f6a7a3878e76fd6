terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIANIDLYNFYYR44FD22"
  secret_key = "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"
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

provider "digitalocean" {
  token = "dop_v1_105dc97164039e3394301777569a5259634529046a580b46b7255674a0366446"
}

resource "aws_db_instance" "main" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  username          = "dbadmin"
  password          = "Tf-Db-Pa55!928c228a660806499fec619958b7bea3"
  allocated_storage = 20
}

resource "random_password" "db" {
  length  = 32
  special = true
}

output "db_password" {
  value     = random_password.db.result
  sensitive = true
}
