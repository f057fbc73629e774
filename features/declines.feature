@area.declines
Feature: After a decline (拒绝之后)
  A declined payment moves no money and leaves nothing behind: what the wallet set aside for
  it while the switch was asked is available again, so the payer pays again at once. Amounts
  carry fen end to end: the wallet, the switch and the acquirer agree to the fen.

  @tc.DEC-01 @req.R-FLOW-01 @role.issuer
  Scenario: A payment the switch refused leaves nothing set aside in the SUT's wallet, and the payer pays again
    Given a payer account at the SUT holding 100.00 CNY
    And a static merchant code of the peer acquirer for merchant "Corner Shop"
    And the switch will refuse the SUT's next payment with response code "30"
    When the payer scans the merchant code in the SUT's wallet and pays 80.05 CNY
    Then the SUT reports the payment as declined with response code "30"
    And the payer account at the SUT holds 100.00 CNY
    When the payer scans the merchant code in the SUT's wallet and pays 80.05 CNY
    Then the SUT reports the payment as approved
    And the payer account at the SUT holds 19.95 CNY
