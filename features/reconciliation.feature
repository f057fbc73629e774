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

  @tc.RCN-02 @req.R-FLOW-05 @req.R-FLOW-12 @role.issuer
  Scenario: The SUT's books agree with the reconciliation file on a purchase it approved too late and gave back on its reversal
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the switch will stop waiting for the SUT's answer to the next purchase
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as reversed once its queries found no outcome
    And the payer account at the SUT holds 100.00 CNY
    When the switch writes the SUT's reconciliation file for the day
    Then the SUT's books for the day agree with the switch's reconciliation file

  @tc.RCN-03 @req.R-FLOW-05 @req.R-FLOW-12 @role.acquirer
  Scenario: The SUT's books agree with the reconciliation file on a purchase it reversed that the issuer had approved too late
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will stop waiting for the peer's answer to the SUT's next purchase
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as reversed once its queries found no outcome
    And the payer account at the peer holds 100.00 CNY
    When the switch writes the SUT's reconciliation file for the day
    Then the SUT's books for the day agree with the switch's reconciliation file
