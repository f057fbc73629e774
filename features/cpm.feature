@area.cpm
Feature: Consumer-presented mode across institutions (付款扫码 / 被扫)
  A merchant's terminal scans the payment code a payer shows in another institution's wallet.
  The acquirer sends a purchase to the switch, which routes it by the code's prefix to the
  issuer; the issuer checks the code is its own, unused and unexpired, and debits the payer.

  @tc.CPM-01 @req.R-FLOW-01 @req.R-FLOW-12 @req.R-CPM-02 @role.issuer
  Scenario: A peer acquirer's terminal takes a payment code from the SUT's wallet
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    Then the payment code has the prefix and length the SUT registered with the switch
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 470.00 CNY

  @tc.CPM-02 @req.R-CPM-03 @role.issuer
  Scenario: The SUT declines a payment code presented a second time
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 10.00 CNY with that payment code
    When the peer acquirer's terminal scans the same payment code again for 10.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "72"
    And the payer account at the SUT holds 490.00 CNY

  @tc.CPM-06 @req.R-FLOW-01 @req.R-MSG-01 @role.issuer
  Scenario: The SUT declines a purchase one fen beyond its payer's balance with 64, and the payer then pays with a fresh code
    Given a payer account at the SUT holding 20.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 20.01 CNY
    Then the peer acquirer reports the purchase as declined with response code "64"
    And the payer account at the SUT holds 20.00 CNY
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 20.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 0.00 CNY

  @tc.CPM-07 @req.R-CPM-03 @role.issuer
  Scenario: The SUT declines a payment code presented again after its first purchase was declined
    Given a payer account at the SUT holding 20.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "64"
    When the peer acquirer's terminal scans the same payment code again for 10.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "72"
    And the payer account at the SUT holds 20.00 CNY

  @tc.CPM-08 @req.R-FLOW-01 @req.R-FLOW-12 @role.issuer
  Scenario: Amounts with fen reach the SUT's wallet through the switch to the fen
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 4.35 CNY
    Then the peer acquirer reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 95.65 CNY
    When the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 0.29 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 95.36 CNY

  @tc.CPM-09 @req.R-FLOW-01 @req.R-FLOW-12 @role.acquirer
  Scenario: The SUT's terminal charges an amount with fen through the switch to the fen
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 4.35 CNY
    Then the SUT reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the peer holds 95.65 CNY

  @tc.CPM-14 @req.R-MSG-01 @role.issuer @wire.direction
  Scenario: The SUT answers 10 to a message it does not take: the switch's acknowledgement sent to it as a request
    Given a payer account at the SUT holding 500.00 CNY
    When the switch delivers its acknowledgement "cpm.additional_processing_result.response" to the SUT as a request
    Then the SUT answers with response code "10"
    And the payer account at the SUT holds 500.00 CNY
