@area.refund
Feature: Refunds (退货)
  An acquirer refunds part or all of a payment (a CPM purchase or an MPM payment) through the
  switch to the issuer of the original payment; refunds may repeat, but together never exceed
  what was paid.

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

  @tc.REF-02 @req.R-FLOW-07 @role.issuer @feature.partial-refund
  Scenario: The SUT gives back the part of an MPM payment that the merchant refunds
    Given a payer account at the SUT holding 500.00 CNY
    And a static merchant code of the peer acquirer for merchant "Tea House"
    When the payer scans the merchant code in the SUT's wallet and pays 100.00 CNY
    And the peer acquirer refunds 40.00 CNY of that payment
    Then the peer acquirer reports the refund as approved
    And the payer account at the SUT holds 440.00 CNY
    When the peer acquirer refunds 70.00 CNY of that payment
    Then the peer acquirer reports the refund as declined with response code "33"
    And the payer account at the SUT holds 440.00 CNY

  @tc.REF-03 @req.R-FLOW-07 @role.acquirer @feature.partial-refund
  Scenario: The SUT's acquirer refunds part of an MPM payment made to one of its merchant codes
    Given a payer account at the peer holding 500.00 CNY
    And a static merchant code of the SUT's acquirer for merchant "Noodle Bar"
    When the payer scans the merchant code in the peer's wallet and pays 100.00 CNY
    And the SUT's acquirer refunds 25.00 CNY of that payment
    Then the SUT's acquirer reports the refund as approved
    And the payer account at the peer holds 425.00 CNY

  @tc.REF-04 @req.R-FLOW-07 @role.issuer @absent.partial-refund
  Scenario: An SUT that does not declare partial refunds refuses one, as its ICS says
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 100.00 CNY with that payment code
    When the peer acquirer refunds 30.00 CNY of that purchase
    Then the peer acquirer reports the refund as declined
    And the payer account at the SUT holds 400.00 CNY
