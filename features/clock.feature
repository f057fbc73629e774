@area.clock
Feature: Rules that turn on the clock (时间相关规则)
  A payment code expires after its validity (the issuer's ICS codes.payment_code_validity_s,
  by default timing.json payment_code_validity_s), the clearing
  day turns at 23:00 Beijing time and names the settlement date (business.json clearing_day),
  a payer's daily limit counts per Beijing-time day, a void must fall on its purchase's
  clearing day, and a refund within the refund window is accepted (business.json void, refund:
  from 1.1 the window is a minimum, and a later refund may be accepted or refused). Instead of
  waiting for those hours, every scenario here sets the clock of the whole network, the SUT's
  included, through the test-control API (PUT /control/clock) to either side of the edge; an
  SUT whose clock does not then read the time set leaves the scenario inconclusive.

  @tc.CLK-CPM-01 @req.R-CPM-03 @role.issuer
  Scenario: The SUT declines a payment code presented after its validity has ended
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    And the SUT's wallet shows a payment code for that account
    When the network's clock reads 2 seconds past the end of the payment code's validity
    And the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "73"
    And the payer account at the SUT holds 500.00 CNY

  @tc.CLK-CPM-02 @req.R-CPM-03 @req.R-FLOW-01 @role.issuer
  Scenario: The SUT takes a payment code presented just before its validity ends
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    And the SUT's wallet shows a payment code for that account
    When the network's clock reads 2 seconds before the end of the payment code's validity
    And the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 470.00 CNY

  @tc.CLK-CPM-03 @req.R-FLOW-01 @role.acquirer
  Scenario: The SUT's terminal reports the issuer's decline of an expired payment code as it was given
    Given a payer account at the peer holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    And the peer's wallet shows a payment code for that account
    When the network's clock reads 2 seconds past the end of the payment code's validity
    And the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as declined with the response code the switch gave it
    And the SUT reports the purchase as declined with response code "73"
    And the payer account at the peer holds 500.00 CNY

  @tc.CLK-CPM-04 @req.R-CPM-08 @role.issuer
  Scenario: The SUT's wallet shows a payment code valid no longer than its ICS declares, and declines it after
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    When the SUT's wallet shows a payment code for that account
    Then the SUT's wallet gave the payment code an expiry within the validity its ICS declares
    When the network's clock reads 2 seconds past the end of the payment code's validity
    And the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "73"
    And the payer account at the SUT holds 500.00 CNY

  @tc.CLK-CPM-05 @req.R-CPM-08 @role.acquirer
  Scenario: The SUT's terminal reports the decline of an expired payment code once, then takes the wallet's fresh code
    Given a payer account at the peer holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    And the peer's wallet shows a payment code for that account
    When the network's clock reads 2 seconds past the end of the payment code's validity
    And the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as declined with response code "73"
    And the payer account at the peer holds 500.00 CNY
    When the peer's wallet shows a payment code for that account
    And the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved
    And the payer account at the peer holds 470.00 CNY

  @tc.CLK-CPM-06 @req.R-CPM-08 @role.switch
  Scenario: The SUT switch relays the issuer's decline of an expired payment code as the issuer gave it
    Given a payer account at the wallet-w holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    And the wallet-w's wallet shows a payment code for that account
    When the network's clock reads 2 seconds past the end of the payment code's validity
    And the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "73"
    And the payer account at the wallet-w holds 500.00 CNY

  @tc.CLK-DAY-01 @req.R-FLOW-12 @role.issuer
  Scenario: The SUT books a purchase at 22:59:50 on today's clearing day and one at 23:00:10 on tomorrow's
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 22:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 10.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the SUT booked the purchase under the settlement date of the clearing day it was made on
    When the network's clock reads 23:00:10 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 20.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the SUT booked the purchase under the settlement date of the clearing day it was made on
    And both institutions recorded the same amount, currency, voucher number and settlement date

  @tc.CLK-DAY-02 @req.R-FLOW-12 @role.acquirer
  Scenario: The SUT's terminal books a purchase at 22:59:50 on today's clearing day and one at 23:00:10 on tomorrow's
    Given a payer account at the peer holding 500.00 CNY
    And the network's clock reads 22:59:50 Beijing time
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 10.00 CNY
    Then the SUT reports the purchase as approved
    And the SUT booked the purchase under the settlement date of the clearing day it was made on
    When the network's clock reads 23:00:10 Beijing time
    And the peer's wallet shows a payment code for that account
    And the SUT's terminal scans the payment code for 20.00 CNY
    Then the SUT reports the purchase as approved
    And the SUT booked the purchase under the settlement date of the clearing day it was made on

  @tc.CLK-DAY-03 @req.R-FLOW-12 @role.switch
  Scenario: The SUT switch clears a purchase at 22:59:50 on today's clearing day and one at 23:00:10 on tomorrow's
    Given a payer account at the wallet-w holding 500.00 CNY
    And the network's clock reads 22:59:50 Beijing time
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 10.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer's institution and the merchant's booked the purchase under the settlement date of the clearing day it was made on
    When the network's clock reads 23:00:10 Beijing time
    And the wallet-w's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 20.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer's institution and the merchant's booked the purchase under the settlement date of the clearing day it was made on

  @tc.CLK-LIM-01 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT starts a payer's daily limit afresh at midnight, Beijing time
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier C
    And the network's clock reads 23:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 600.00 CNY with that payment code
    When the network's clock reads 00:00:10 Beijing time the next day
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 600.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 800.00 CNY

  @tc.CLK-LIM-02 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT does not start a payer's daily limit afresh at midnight UTC (08:00 Beijing time)
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier C
    And the network's clock reads 07:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 600.00 CNY with that payment code
    When the network's clock reads 08:00:10 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 500.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "33"
    And the payer account at the SUT holds 1400.00 CNY

  @tc.CLK-LIM-03 @req.R-FLOW-10 @role.issuer
  Scenario: The SUT does not start a payer's daily limit afresh when the clearing day turns at 23:00
    Given a payer account at the SUT holding 2000.00 CNY
    And the payer account at the SUT is in risk tier C
    And the network's clock reads 22:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 600.00 CNY with that payment code
    When the network's clock reads 23:00:10 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal scans the payment code for 500.00 CNY
    Then the peer acquirer reports the purchase as declined with response code "33"
    And the payer account at the SUT holds 1400.00 CNY

  @tc.CLK-VOID-01 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT refuses a void after its purchase's clearing day has turned at 23:00, and takes the refund instead
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 22:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the network's clock reads 23:00:10 Beijing time
    And the peer acquirer voids that purchase
    Then the peer acquirer reports the void as declined with response code "39"
    And the payer account at the SUT holds 440.00 CNY
    When the peer acquirer refunds 60.00 CNY of that purchase
    Then the peer acquirer reports the refund as approved
    And the payer account at the SUT holds 500.00 CNY

  @tc.CLK-VOID-02 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT voids a purchase across midnight, Beijing time, on the same clearing day
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 23:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the network's clock reads 00:00:10 Beijing time the next day
    And the peer acquirer voids that purchase
    Then the peer acquirer reports the void as approved
    And the payer account at the SUT holds 500.00 CNY

  @tc.CLK-VOID-03 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT voids a purchase across midnight UTC (08:00 Beijing time), on the same clearing day
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 07:59:50 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the network's clock reads 08:00:10 Beijing time
    And the peer acquirer voids that purchase
    Then the peer acquirer reports the void as approved
    And the payer account at the SUT holds 500.00 CNY

  @tc.CLK-VOID-04 @req.R-FLOW-13 @role.switch
  Scenario: The SUT switch gives a void after 23:00 the new clearing day, so that the issuer refuses it
    Given a payer account at the wallet-w holding 500.00 CNY
    And the network's clock reads 22:59:50 Beijing time
    And the wallet-w's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the network's clock reads 23:00:10 Beijing time
    And the peer acquirer voids that purchase
    Then the peer acquirer reports the void as declined with response code "39"
    And the payer account at the wallet-w holds 440.00 CNY

  @tc.CLK-REF-01 @req.R-FLOW-07 @role.issuer @feature.partial-refund
  Scenario: The SUT refunds a purchase until its refund window ends, and after it as the profile lets it
    Given a payer account at the SUT holding 500.00 CNY
    And the network's clock reads 10:00:00 Beijing time
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 100.00 CNY with that payment code
    When the network's clock reads an hour before the end of the profile's refund window for that purchase
    And the peer acquirer refunds 30.00 CNY of that purchase
    Then the peer acquirer reports the refund as approved
    And the payer account at the SUT holds 430.00 CNY
    When the network's clock reads an hour after the end of the profile's refund window for that purchase
    And the peer acquirer refunds 30.00 CNY of that purchase
    Then the peer acquirer reports the refund as the profile's refund window lets the issuer answer it
    And the payer account at the SUT holds 430.00 CNY, or 460.00 CNY if that refund was approved
