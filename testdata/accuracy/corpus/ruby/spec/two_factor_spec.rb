RSpec.describe TwoFactor do
  let(:totp) { ROTP::TOTP.new('K7CMFBQMYMOIAED4PO6R7KAOWLVLPHCG', issuer: 'Toho') }
  let(:demo) { ROTP::TOTP.new('JBSWY3DPEHPK3PXP') }

  it 'accepts the current code' do
    expect(described_class.verify(totp.now)).to be(true)
  end
end
