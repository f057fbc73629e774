@area.aftersales
Feature: After the purchase: refunds, voids and reversals in sequence (退货、撤销、冲正)
  A purchase may be refunded in parts, voided once on its clearing day, or reversed by an
  acquirer that never learnt its outcome; each of these may be retried, and one may follow
  another. Whatever the order, the payer gets back at most what was paid, once: a void after a
  refund, a refund after a void, a partial void, a copy of a reversal or of a refund moves no
  money, and a refund of a purchase that was declined moves none either.

  # -- the SUT as issuer: the peer acquirer's terminal undoes a purchase ---------------------

  @tc.AFT-01 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT refuses to refund a purchase it has voided
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the peer acquirer voids that purchase
    Then the peer acquirer reports the void as approved
    And the payer account at the SUT holds 500.00 CNY
    When the peer acquirer refunds 10.00 CNY of that purchase
    Then the peer acquirer reports the refund as declined with response code "45"
    And the payer account at the SUT holds 500.00 CNY

  @tc.AFT-02 @req.R-FLOW-13 @role.issuer @feature.void @feature.partial-refund
  Scenario: The SUT refuses to void a purchase it has refunded in part
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 60.00 CNY with that payment code
    When the peer acquirer refunds 10.00 CNY of that purchase
    Then the peer acquirer reports the refund as approved
    When the peer acquirer voids that purchase
    Then the peer acquirer reports the void as declined with response code "45"
    And the payer account at the SUT holds 450.00 CNY

  @tc.AFT-03 @req.R-FLOW-07 @role.issuer @feature.partial-refund
  Scenario: The SUT refunds exactly what is left of a purchase, with fen, and not one fen more
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 100.00 CNY with that payment code
    When the peer acquirer refunds 30.05 CNY of that purchase
    Then the peer acquirer reports the refund as approved
    And the payer account at the SUT holds 430.05 CNY
    When the peer acquirer refunds 69.96 CNY of that purchase
    Then the peer acquirer reports the refund as declined with response code "33"
    And the payer account at the SUT holds 430.05 CNY
    When the peer acquirer refunds 69.95 CNY of that purchase
    Then the peer acquirer reports the refund as approved
    And the payer account at the SUT holds 500.00 CNY

  @tc.AFT-04 @req.R-FLOW-07 @role.issuer @feature.partial-refund
  Scenario: The SUT refunds a purchase as many times as the profile allows, and no more
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 1.00 CNY with that payment code
    When the peer acquirer refunds 0.01 CNY of that purchase as many times as the profile allows
    Then the peer acquirer reports every one of those refunds as approved
    And the payer account at the SUT holds 499.50 CNY
    When the peer acquirer refunds 0.01 CNY of that purchase
    Then the peer acquirer reports the refund as declined
    And the payer account at the SUT holds 499.50 CNY

  @tc.AFT-05 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT gives back an MPM payment its acquirer voids, then refuses to refund it
    Given a payer account at the SUT holding 500.00 CNY
    And a static merchant code of the peer acquirer for merchant "Tea House"
    When the payer scans the merchant code in the SUT's wallet and pays 88.88 CNY
    And the peer acquirer voids that payment
    Then the peer acquirer reports the void as approved
    And the payer account at the SUT holds 500.00 CNY
    When the peer acquirer refunds 8.88 CNY of that payment
    Then the peer acquirer reports the refund as declined with response code "45"
    And the payer account at the SUT holds 500.00 CNY

  # -- the SUT as issuer: what the switch relays to it ----------------------------------------

  @tc.AFT-06 @req.R-FLOW-06 @req.R-FLOW-05 @role.issuer
  Scenario: The SUT gives a reversed purchase back once, however often the reversal comes
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 40.00 CNY for that payment code
    Then the SUT answers with response code "00"
    When the switch delivers a reversal of that purchase
    Then the SUT answers with response code "00"
    And the payer account at the SUT holds 500.00 CNY
    When the switch delivers the same reversal again, under a voucher of its own
    Then the SUT answers with response code "00"
    And the payer account at the SUT holds 500.00 CNY

  @tc.AFT-07 @req.R-FLOW-05 @role.issuer
  Scenario: The SUT answers a reversal of a purchase it never saw with 00, and moves nothing
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a reversal of a purchase the SUT never saw
    Then the SUT answers with response code "00"
    And the payer account at the SUT holds 500.00 CNY

  @tc.AFT-08 @req.R-FLOW-13 @role.issuer @feature.void
  Scenario: The SUT refuses to void part of a purchase, and voids all of it
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 40.00 CNY for that payment code
    Then the SUT answers with response code "00"
    When the switch delivers a void of 10.00 CNY of that purchase
    Then the SUT answers with response code "36"
    And the payer account at the SUT holds 460.00 CNY
    When the switch delivers a void of 40.00 CNY of that purchase
    Then the SUT answers with response code "00"
    And the payer account at the SUT holds 500.00 CNY

  @tc.AFT-09 @req.R-FLOW-06 @role.issuer @feature.partial-refund
  Scenario: The SUT pays a refund that comes twice under one order number once
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 40.00 CNY for that payment code
    Then the SUT answers with response code "00"
    When the switch delivers a refund of 15.00 CNY of that purchase
    Then the SUT answers with response code "00"
    And the payer account at the SUT holds 475.00 CNY
    When the switch delivers the same refund again, under a voucher of its own
    Then the SUT answers the copy with response code "12" or "00"
    And the payer account at the SUT holds 475.00 CNY

  @tc.AFT-10 @req.R-FLOW-14 @role.issuer
  Scenario: The SUT refuses to refund a purchase it declined
    Given a payer account at the SUT holding 10.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 40.00 CNY for that payment code
    Then the SUT answers with response code "64"
    When the switch delivers a refund of 40.00 CNY of that purchase
    Then the SUT answers with response code "35"
    And the payer account at the SUT holds 10.00 CNY

  # -- the SUT as acquirer: its terminal undoes its own purchases -----------------------------

  @tc.AFT-11 @req.R-FLOW-13 @role.acquirer @feature.void
  Scenario: The SUT's acquirer voids a purchase, naming it, under an order number of its own
    Given a payer account at the peer holding 500.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 60.00 CNY
    Then the SUT's acquirer reports the purchase as approved
    And the merchant's balance at the SUT is noted
    When the SUT's terminal voids that purchase
    Then the SUT's terminal reports the void as approved
    And the SUT sent the switch a void naming that purchase, under an order number of its own
    And the payer account at the peer holds 500.00 CNY
    And the merchant's balance at the SUT went down by 60.00 CNY

  @tc.AFT-12 @req.R-FLOW-07 @req.R-FLOW-06 @role.acquirer @feature.partial-refund
  Scenario: The SUT's acquirer refunds part of a purchase at its terminal, with fen
    Given a payer account at the peer holding 500.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 100.00 CNY
    Then the SUT's acquirer reports the purchase as approved
    And the merchant's balance at the SUT is noted
    When the SUT's terminal refunds 30.05 CNY of that purchase
    Then the SUT's terminal reports the refund as approved
    And the SUT sent the switch a refund naming that purchase, under an order number of its own
    And the payer account at the peer holds 430.05 CNY
    When the SUT's terminal refunds 69.95 CNY of that purchase
    Then the SUT's terminal reports the refund as approved
    And the payer account at the peer holds 500.00 CNY
    And the merchant's balance at the SUT went down by 100.00 CNY

  @tc.AFT-13 @req.R-FLOW-06 @role.acquirer @feature.partial-refund
  Scenario: The SUT's acquirer asked twice for one refund pays it once
    Given a payer account at the peer holding 500.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 100.00 CNY
    Then the SUT's acquirer reports the purchase as approved
    And the merchant's balance at the SUT is noted
    When the SUT's terminal refunds 30.00 CNY of that purchase
    Then the SUT's terminal reports the refund as approved
    When the merchant asks the SUT's terminal for that refund again, under its refund ID
    Then the SUT's terminal reports the refund as approved
    And every refund the SUT sent for that refund ID was the same request
    And the payer account at the peer holds 430.00 CNY
    And the merchant's balance at the SUT went down by 30.00 CNY

  @tc.AFT-14 @req.R-FLOW-13 @role.acquirer @feature.void @feature.partial-refund
  Scenario: The SUT's acquirer cannot void a purchase it has refunded in part
    Given a payer account at the peer holding 500.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 60.00 CNY
    Then the SUT's acquirer reports the purchase as approved
    And the merchant's balance at the SUT is noted
    When the SUT's terminal refunds 10.00 CNY of that purchase
    Then the SUT's terminal reports the refund as approved
    When the SUT's terminal voids that purchase
    Then the SUT's terminal reports the void as declined
    And the payer account at the peer holds 450.00 CNY
    And the merchant's balance at the SUT went down by 10.00 CNY

  @tc.AFT-15 @req.R-FLOW-14 @role.acquirer
  Scenario: The SUT's acquirer refunds nothing of a purchase that was declined
    Given a payer account at the peer holding 10.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 40.00 CNY
    Then the merchant's balance at the SUT is noted
    When the SUT's terminal refunds 40.00 CNY of that purchase
    Then the SUT's terminal reports the refund as declined
    And the payer account at the peer holds 10.00 CNY
    And the merchant's balance at the SUT went down by 0.00 CNY

  @tc.AFT-16 @req.R-FLOW-13 @role.acquirer @feature.void
  Scenario: The SUT's acquirer voids an MPM payment made to its merchant code
    Given a payer account at the peer holding 500.00 CNY
    And a static merchant code of the SUT's acquirer for merchant "Noodle Bar"
    When the payer scans the merchant code in the peer's wallet and pays 100.00 CNY
    Then the peer reports the payment as approved
    And the merchant's balance at the SUT is noted
    When the SUT's acquirer voids that payment
    Then the SUT's acquirer reports the void as approved
    And the payer account at the peer holds 500.00 CNY
    And the merchant's balance at the SUT went down by 100.00 CNY

  @tc.AFT-17 @req.R-FLOW-13 @role.acquirer @absent.void
  Scenario: An SUT acquirer that does not declare voids voids nothing, as its ICS says
    Given a payer account at the peer holding 500.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 60.00 CNY
    Then the SUT's acquirer reports the purchase as approved
    When the SUT's terminal voids that purchase
    Then the SUT's terminal reports the void as declined
    And the payer account at the peer holds 440.00 CNY

  @tc.AFT-18 @req.R-FLOW-07 @role.acquirer @absent.partial-refund
  Scenario: An SUT acquirer that does not declare partial refunds refunds no part, as its ICS says
    Given a payer account at the peer holding 500.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 100.00 CNY
    Then the SUT's acquirer reports the purchase as approved
    When the SUT's terminal refunds 30.00 CNY of that purchase
    Then the SUT's terminal reports the refund as declined
    And the payer account at the peer holds 400.00 CNY
