@area.reconciliation
Feature: Daily reconciliation (对账)
  For every clearing day the switch writes each participant a reconciliation file: every
  approved money-moving transaction the participant took part in, under the switch's voucher
  number, settlement date and key, with the day's totals and the participant's net position.
  The participant's own books must agree with it, record for record.

  @tc.RCN-01 @req.R-FLOW-12 @role.issuer
  Scenario: The SUT's books for the day agree with the switch's reconciliation file
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 100.00 CNY with that payment code
    And a static merchant code of the peer acquirer for merchant "Book Shop"
    When the peer acquirer refunds 100.00 CNY of that purchase
    And the payer scans the merchant code in the SUT's wallet and pays 20.00 CNY
    And the switch writes the SUT's reconciliation file for the day
    Then the SUT's books for the day agree with the switch's reconciliation file
    And the payer account at the SUT holds 480.00 CNY
