Feature: The switch toward the SUT: notices that disagree, and queries about lost answers (通知与查询)
  The switch tells an acquirer a purchase's outcome in a result notice, and an acquirer checks
  a notice against its own record before it acts on it: a notice naming another amount, or an
  order the acquirer never sent, changes nothing in its books. When the switch lost an
  issuer's answer to a purchase, its own record is not final, and when the acquirer queries it
  the switch asks the issuer (cpm.status_query): the issuer answers 00 with the outcome it
  decided in origRespCode, and only for the purchase the query's voucher names.

  @tc.NTF-05 @req.R-FLOW-08 @role.acquirer @area.faults
  Scenario: The SUT keeps its books when a result notice of its approved purchase names another amount
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved
    When the switch notifies the SUT that the purchase was approved, for 3.00 CNY
    Then the SUT answers with response code "00"
    And the SUT's terminal still records the purchase as approved for 30.00 CNY

  @tc.NTF-07 @req.R-FLOW-08 @role.acquirer @area.faults
  Scenario: The SUT keeps its books when a result notice of its approved purchase names another currency
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved
    When the switch notifies the SUT that the purchase was approved, for 30.00 CNY in currency "840"
    Then the SUT answers with response code "00"
    And the SUT's terminal still records the purchase as approved for 30.00 CNY

  @tc.NTF-06 @req.R-FLOW-08 @role.acquirer @area.faults
  Scenario: The SUT books nothing for a result notice of an order it never sent
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    When the switch notifies the SUT that a purchase it never made was approved, for 3.00 CNY
    Then the SUT answers with response code "00"
    And the SUT's acquirer booked no payment under that voucher

  @tc.QRY-01 @req.R-FLOW-04 @role.issuer @area.faults
  Scenario: The SUT tells the switch it approved a purchase whose answer the switch lost
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the switch will lose the SUT's answer to the next purchase
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the SUT answered the switch's status query with "00" and the original response code "00"
    And the peer acquirer reports the purchase as approved once it has queried it
    And the payer account at the SUT holds 70.00 CNY

  @tc.QRY-02 @req.R-FLOW-04 @role.issuer @area.faults
  Scenario: The SUT tells the switch it declined a purchase whose answer the switch lost
    Given a payer account at the SUT holding 10.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the switch will lose the SUT's answer to the next purchase
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the SUT answered the switch's status query with "00" and the original response code "64"
    And the peer acquirer reports the purchase as declined with response code "64" once it has queried it
    And the payer account at the SUT holds 10.00 CNY

  @tc.QRY-03 @req.R-FLOW-04 @role.issuer @area.faults
  Scenario: The SUT answers a status query only for the purchase its voucher names
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    When the switch asks the SUT about a purchase under the same order number at another time
    Then the SUT answers with response code "35"
    And the payer account at the SUT holds 70.00 CNY

  @tc.QRY-04 @req.R-FLOW-04 @role.acquirer @area.faults
  Scenario: The SUT tells the switch it took a payment to its merchant code whose answer the switch lost
    Given a payer account at the peer holding 100.00 CNY
    And a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    And the switch will lose the SUT's answer to the next payment to its merchant code
    When the payer scans the merchant code in the peer's wallet
    Then the SUT answered the switch's payment query with "00" and the original response code "00"
    And the peer reports the payment as approved once it has queried it
    And the payer account at the peer holds 75.00 CNY

  @tc.QRY-05 @req.R-FLOW-04 @role.acquirer @area.faults
  Scenario: The SUT tells the switch it refused a payment to its merchant code
    Given a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    When the switch asks the SUT's acquirer about that merchant code for the peer's wallet
    And the switch delivers the payment of 20.00 CNY for that order
    Then the SUT refuses the payment
    When the switch asks the SUT's acquirer what became of that payment
    Then the SUT answers "00" with the code it refused the payment with as the original response code
