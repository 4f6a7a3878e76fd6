class Account < ApplicationRecord
  has_secure_password :recovery_password, validations: false
  has_secure_password :untracked
  has_secure_token :api_token

  validates :password, length: { minimum: 12 }

  def digest_options
    { password: @pepper, cost: :default }
  end
end
