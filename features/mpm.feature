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

  @tc.MPM-BAL-01 @req.R-FLOW-01 @role.issuer
  Scenario: The SUT's wallet pays a merchant code with the whole of the payer's balance
    Given a payer account at the SUT holding 25.00 CNY
    And a static merchant code of the peer acquirer for merchant "Noodle Bar"
    When the payer scans the merchant code in the SUT's wallet and pays 25.00 CNY
    Then the SUT reports the payment as approved
    And the payer account at the SUT holds 0.00 CNY

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

  # The harness plays the switch toward the SUT's acquirer and sends it payments no honest
  # wallet would: each must be refused, and no money must reach the merchant.

  @tc.MPM-05 @req.R-MPM-14 @role.acquirer
  Scenario: The SUT's acquirer refuses a payment of a dynamic merchant code for another amount
    Given a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    Then the SUT answers with response code "00"
    When the switch delivers the payment of 20.00 CNY for that order
    Then the SUT refuses the payment
    And the SUT's acquirer booked no payment under that voucher
    And the SUT's acquirer credited the merchant 0.00 CNY in all

  @tc.MPM-06 @req.R-MPM-14 @role.acquirer
  Scenario: The SUT's acquirer takes one payment of a dynamic merchant code asked about twice
    Given a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    And the switch asks the SUT's acquirer about that merchant code again for the peer's wallet
    And the switch delivers the payment of 25.00 CNY for the first order
    Then the SUT answers with response code "00"
    When the switch delivers the payment of 25.00 CNY for the second order
    Then the SUT answers with response code "35"
    And the SUT's acquirer booked no payment under that voucher
    And the SUT's acquirer credited the merchant 25.00 CNY in all

  @tc.MPM-07 @req.R-SEC-05 @role.acquirer
  Scenario: The SUT's acquirer refuses a payment whose payer details it cannot decrypt
    Given a static merchant code of the SUT's acquirer for merchant "Tea House"
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    And the switch delivers the payment of 8.00 CNY for that order, its payer details encrypted for another key
    Then the SUT answers with response code "10"
    And the SUT's acquirer booked no payment under that voucher
    And the SUT's acquirer credited the merchant 0.00 CNY in all

  @tc.MPM-08 @req.R-FLOW-01 @role.acquirer
  Scenario: The SUT's acquirer refuses a payment of an order it never opened
    Given a static merchant code of the SUT's acquirer for merchant "Tea House"
    When the switch delivers a payment of 8.00 CNY for an order nobody asked about
    Then the SUT refuses the payment
    And the SUT's acquirer booked no payment under that voucher

  @tc.MPM-09 @req.R-FLOW-01 @role.acquirer
  Scenario: The SUT's acquirer refuses a payment in a currency other than the order's
    Given a static merchant code of the SUT's acquirer for merchant "Tea House"
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    And the switch delivers the payment of 8.00 CNY for that order in currency "840"
    Then the SUT refuses the payment
    And the SUT's acquirer booked no payment under that voucher
    And the SUT's acquirer credited the merchant 0.00 CNY in all

  @tc.MPM-10 @req.R-FLOW-06 @role.acquirer
  Scenario: The SUT's acquirer takes one payment of an order, however many are delivered
    Given a static merchant code of the SUT's acquirer for merchant "Tea House"
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    And the switch delivers the payment of 8.00 CNY for that order
    Then the SUT answers with response code "00"
    When the switch delivers the payment of 8.00 CNY for that order
    Then the SUT refuses the payment
    And the SUT's acquirer booked no payment under that voucher
    And the SUT's acquirer credited the merchant 8.00 CNY in all

  @tc.MPM-11 @req.R-FLOW-01 @role.acquirer
  Scenario: A payment to a second merchant code of a merchant the SUT's acquirer already has credits that merchant
    Given a static merchant code of the SUT's acquirer for merchant "Tea House"
    And a dynamic merchant code of the SUT's acquirer for 12.00 CNY for that same merchant
    And a payer account at the peer holding 100.00 CNY
    When the payer scans the merchant code in the peer's wallet
    Then the peer reports the payment as approved
    And the SUT's acquirer credited the merchant of the first code 12.00 CNY in all
