@area.switch
Feature: What the SUT switch does after a purchase: refunds, voids, the password, repeats, the file
  With the SUT as the switch, the peers around it undo payments through it, pay above the
  pin-free limit and send requests again; the harness fetches the reconciliation file the
  switch writes each of them through its test-control API. A switch relays a refund or void
  to the institution that issued the original (the one its voucher or txnNo names, not the
  one a code's prefix would name again), holds a purchase above the pin-free limit for the
  payer's password and tells the acquirer the result, answers a repeat from its record and
  refuses another request under a used key, and lists each approved transaction once in each
  side's file, with the right sign in their net positions.

  @tc.SWX-01 @req.R-FLOW-01 @req.R-FLOW-06 @req.R-FLOW-12 @role.switch
  Scenario: The SUT switch relays a refund of a CPM purchase to the payer's wallet and clears it once
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 30.00 CNY with that payment code
    When the peer acquirer refunds 10.12 CNY of that purchase
    Then the SUT relayed the refund to the wallet-w as cpm.refund, which approved it
    And the peer acquirer reports the refund as approved
    And the payer account at the wallet-w holds 80.12 CNY
    When the SUT writes the reconciliation files of the peer acquirer and the wallet-w issuer for the day
    Then each file lists the purchase and the refund once, with each side's role
    And each file's totals and net position add up from its records
    And the books of both institutions for the day agree with their reconciliation files

  @tc.SWX-02 @req.R-FLOW-01 @req.R-FLOW-12 @role.switch
  Scenario: The SUT switch relays a refund of an MPM payment to the payer's wallet its txnNo names
    Given a payer account at the wallet-w holding 100.00 CNY
    And a static merchant code of the peer acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the wallet-w's wallet and pays 12.00 CNY
    Then the wallet-w reports the payment as approved
    When the peer acquirer refunds 5.00 CNY of that payment
    Then the SUT relayed the refund to the wallet-w as mpm.refund, which approved it
    And the peer acquirer reports the refund as approved
    And the payer account at the wallet-w holds 93.00 CNY
    When the SUT writes the reconciliation files of the peer acquirer and the wallet-w issuer for the day
    Then each file lists the payment and the refund once, with each side's role
    And each file's totals and net position add up from its records
    And the books of both institutions for the day agree with their reconciliation files

  @tc.SWX-03 @req.R-FLOW-01 @req.R-FLOW-12 @req.R-FLOW-13 @role.switch @feature.void
  Scenario: The SUT switch relays a void of a CPM purchase to the payer's wallet and nets it out
    Given a payer account at the wallet-a holding 100.00 CNY
    And the wallet-a's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 20.00 CNY with that payment code
    When the peer acquirer voids that purchase
    Then the SUT relayed the void to the wallet-a as cpm.void, which approved it
    And the peer acquirer reports the void as approved
    And the payer account at the wallet-a holds 100.00 CNY
    When the SUT writes the reconciliation files of the peer acquirer and the wallet-a issuer for the day
    Then each file lists the purchase and the void once, with each side's role
    And each file's totals and net position add up from its records
    And the books of both institutions for the day agree with their reconciliation files

  @tc.SWX-04 @req.R-FLOW-01 @req.R-FLOW-12 @req.R-FLOW-13 @role.switch @feature.void
  Scenario: The SUT switch relays a void of an MPM payment to the payer's wallet its txnNo names
    Given a payer account at the bank-u holding 100.00 CNY
    And a static merchant code of the peer acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the bank-u's wallet and pays 12.00 CNY
    Then the bank-u reports the payment as approved
    When the peer acquirer voids that payment
    Then the SUT relayed the void to the bank-u as mpm.void, which approved it
    And the peer acquirer reports the void as approved
    And the payer account at the bank-u holds 100.00 CNY
    When the SUT writes the reconciliation files of the peer acquirer and the bank-u issuer for the day
    Then each file lists the payment and the void once, with each side's role
    And each file's totals and net position add up from its records
    And the books of both institutions for the day agree with their reconciliation files

  @tc.SWX-05 @req.R-FLOW-08 @req.R-FLOW-09 @req.R-FLOW-12 @role.switch @feature.cpm-password
  Scenario: The SUT switch holds a purchase above the pin-free limit for the password, then tells the acquirer
    Given a payer account at the wallet-w holding 2000.00 CNY
    And the payer account at the wallet-w is in risk tier B
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the SUT asked the wallet-w for the payer's password, and it acknowledged
    And the peer acquirer reports the purchase as waiting for the payer
    When the peer acquirer asks the SUT what became of the purchase
    Then the SUT answers that the purchase waits for the payer
    When the payer confirms the purchase with the password in the wallet-w's wallet
    Then the peer acquirer reports the purchase as approved once it has queried it
    And the SUT sent the peer the result notice of the purchase, acknowledged
    And the payer account at the wallet-w holds 500.00 CNY
    When the SUT writes the reconciliation files of the peer acquirer and the wallet-w issuer for the day
    Then each file lists the purchase once, with each side's role
    And the books of both institutions for the day agree with their reconciliation files

  @tc.SWX-06 @req.R-FLOW-09 @req.R-FLOW-12 @role.switch @feature.cpm-password
  Scenario: The SUT switch clears nothing of a purchase whose payer cancelled at the password prompt
    Given a payer account at the wallet-w holding 2000.00 CNY
    And the payer account at the wallet-w is in risk tier B
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 1500.00 CNY
    Then the peer acquirer reports the purchase as waiting for the payer
    When the payer cancels the purchase at the password prompt of the wallet-w's wallet
    Then the peer acquirer reports the purchase as declined with response code "30" once it has queried it
    And the payer account at the wallet-w holds 2000.00 CNY
    When the SUT writes the reconciliation files of the peer acquirer and the wallet-w issuer for the day
    Then no file lists the purchase
    And the books of both institutions for the day agree with their reconciliation files

  @tc.SWX-07 @req.R-FLOW-06 @role.switch
  Scenario: The SUT switch refuses, and relays to nobody, a purchase under a used order with another amount
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer sends the SUT a purchase of 30.00 CNY for that payment code
    And the peer acquirer sends the SUT the same purchase again for 40.00 CNY
    Then the SUT answers with response code "12"
    And the SUT relayed the purchase to the wallet-w once
    And the payer account at the wallet-w holds 70.00 CNY

  @tc.SWX-08 @req.R-FLOW-06 @role.switch
  Scenario: The SUT switch refuses, and relays to nobody, a purchase under a used order for another merchant
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer sends the SUT a purchase of 30.00 CNY for that payment code
    And the peer acquirer sends the SUT the same purchase again for merchant "Another Shop"
    Then the SUT answers with response code "12"
    And the SUT relayed the purchase to the wallet-w once
    And the payer account at the wallet-w holds 70.00 CNY

  @tc.SWX-09 @req.R-FLOW-06 @role.switch
  Scenario: The SUT switch answers a refund sent again from its record, relaying it once
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 30.00 CNY with that payment code
    When the peer acquirer sends the SUT a refund of 10.00 CNY of that purchase
    And the peer acquirer sends the SUT the same refund again, with a fresh message ID and nonce
    Then the SUT answers the second refund as it answered the first
    And the SUT relayed the refund to the wallet-w once
    And the payer account at the wallet-w holds 80.00 CNY

  @tc.SWX-10 @req.R-FLOW-01 @role.switch
  Scenario: The SUT switch answers the payer's wallet about an MPM payment by the txnNo it gave it
    Given a payer account at the peer holding 100.00 CNY
    And a static merchant code of the bank-u's acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the peer's wallet and pays 12.00 CNY
    Then the peer reports the payment as approved
    When the peer's wallet asks the SUT what became of the payment, by the switch's txnNo
    Then the SUT answers that the payment was approved, with its voucher number and amount

  @tc.SWX-11 @req.R-FLOW-06 @role.switch
  Scenario: The SUT switch refuses, and relays to nobody, a refund under a used order with another amount
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 30.00 CNY with that payment code
    When the peer acquirer sends the SUT a refund of 10.00 CNY of that purchase
    And the peer acquirer sends the SUT the same refund again for 5.00 CNY
    Then the SUT answers with response code "12"
    And the SUT relayed the refund to the wallet-w once
    And the payer account at the wallet-w holds 80.00 CNY

  @tc.SWX-12 @req.R-CPM-02 @role.switch
  Scenario: The SUT switch mints no payment code for a participant that registered none
    When the acquirer-q, an acquirer only, applies to the SUT for a payment code
    Then the SUT refuses it with response code 32

  @tc.SWX-13 @req.R-FLOW-09 @role.switch @feature.cpm-password
  Scenario: The SUT switch refuses a payer's decision about a purchase that is already final
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the peer acquirer's terminal was paid 30.00 CNY with that payment code
    When the wallet-w tells the SUT that the payer cancelled that purchase at the password prompt
    Then the SUT answers with response code "35"
    And the payer account at the wallet-w holds 70.00 CNY

  @tc.SWX-14 @req.R-FLOW-01 @role.switch
  Scenario: The SUT switch mints no collection code for a participant that acquires nothing
    When the wallet-w, an issuer only, applies to the SUT for a collection code for merchant "Corner Store"
    Then the SUT refuses it with response code 32

  @tc.SWX-15 @req.R-FLOW-06 @role.switch
  Scenario: The SUT switch refuses a purchase under an order still at the issuer, with another amount
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the wallet-w will answer the SUT's next purchase late, though within the time the SUT waits
    When the peer acquirer sends the SUT a purchase of 30.00 CNY for that payment code, and the same purchase for 40.00 CNY while the first is at the wallet-w
    Then the SUT answers with response code "12"
    And the SUT relayed the purchase to the wallet-w once
    And the payer account at the wallet-w holds 70.00 CNY
