@area.mpm
Feature: Merchant-presented mode across institutions (收款扫码 / 主扫)
  A payer scans another institution's merchant code in a wallet. The wallet asks the switch
  what the code is for (code inquiry), then pays it (payment); the switch routes both to the
  acquirer that owns the code, and both institutions book the same transaction.

  @tc.MPM-01 @req.R-FLOW-01 @req.R-FLOW-12 @req.R-SEC-05 @role.issuer
  Scenario: The SUT's wallet pays a peer acquirer's static merchant code
    Given a payer account at the SUT holding 500.00 CNY
    And a static merchant code of the peer acquirer for merchant "Noodle Bar"
    When the payer scans the merchant code in the SUT's wallet and pays 12.50 CNY
    Then the SUT reports the payment as approved
    And the SUT's wallet sent the payer's account details encrypted for the switch
    And the peer acquirer recorded a credit of 12.50 CNY to the merchant
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 487.50 CNY

  @tc.MPM-04 @req.R-MPM-02 @req.R-FLOW-01 @role.issuer
  Scenario: The SUT's wallet pays a peer acquirer's merchant code that names the merchant in Chinese
    Given a payer account at the SUT holding 500.00 CNY
    And a static merchant code of the peer acquirer for merchant "Noodle Bar" known locally as "老北京炸酱面" in "北京"
    When the payer scans the merchant code in the SUT's wallet and pays 12.50 CNY
    Then the SUT reports the payment as approved
    And the payer account at the SUT holds 487.50 CNY

  @tc.MPM-02 @req.R-MPM-05 @role.issuer
  Scenario: The SUT's wallet refuses a merchant code whose CRC does not match
    Given a payer account at the SUT holding 500.00 CNY
    And a static merchant code of the peer acquirer for merchant "Tea House"
    And the merchant code was altered so that its CRC no longer matches
    When the payer scans the merchant code in the SUT's wallet and pays 8.00 CNY
    Then the SUT's wallet refuses the code
    And the SUT sent no message to the switch
    And the payer account at the SUT holds 500.00 CNY

  @tc.MPM-03 @req.R-FLOW-01 @req.R-FLOW-12 @req.R-MPM-14 @req.R-SEC-05 @role.acquirer
  Scenario: A peer wallet pays the SUT's dynamic merchant code once, and only once
    Given a payer account at the peer holding 100.00 CNY
    And a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    When the payer scans the merchant code in the peer's wallet
    Then the peer reports the payment as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the SUT's acquirer recorded the payer's account reference from the encrypted details
    When the payer scans the same merchant code in the peer's wallet again
    Then the peer reports the payment as declined with response code "35"
    And the payer account at the peer holds 75.00 CNY
