@area.refund
Feature: Refunds (退货)
  An acquirer refunds part or all of a purchase through the switch to the issuer of the
  original payment; refunds may repeat, but together never exceed what was paid.

  @tc.REF-01 @req.R-FLOW-07 @role.issuer @feature.partial-refund
  Scenario: The SUT refunds part of a purchase, and refuses refunds beyond what was paid
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 100.00 CNY with that payment code
    When the peer acquirer refunds 30.00 CNY of that purchase
    Then the peer acquirer reports the refund as approved
    And the payer account at the SUT holds 430.00 CNY
    When the peer acquirer refunds 80.00 CNY of that purchase
    Then the peer acquirer reports the refund as declined with response code "33"
    And the payer account at the SUT holds 430.00 CNY
