@area.messages
Feature: Fields the switch returns or passes on unchanged (报文要素：保留域原样返回，付款账户类型)
  A requester may put its own reference in reqReserved; the switch gives it back unchanged in
  its answer and in the result notice, and keeps it from the other institution (UnionPay
  reqReserved). The issuer tells the acquirer what kind of account paid (payerAccountType,
  UnionPay payerInfo.cardAttr 01 debit / 02 credit), and the switch passes it on in the
  purchase's answer, its result notice and the MPM payment, so that the acquirer can apply the
  small-merchant credit rules (R-FLOW-20). Both fields are the profile's from 1.1.

  @tc.ECHO-01 @req.R-MSG-02 @role.switch
  Scenario: The SUT switch returns an acquirer's reqReserved unchanged in the answer and the result notice
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the peer acquirer has had the result notice of the purchase
    And the switch returned the peer's reserved field unchanged in its answers and notices

  @tc.ECHO-02 @req.R-MSG-02 @role.switch
  Scenario: The SUT switch returns a wallet's reqReserved unchanged in the answer to its MPM payment
    Given a payer account at the wallet-w holding 100.00 CNY
    And a static merchant code of the peer acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the wallet-w's wallet and pays 12.00 CNY
    Then the wallet-w reports the payment as approved
    And the switch returned the wallet-w's reserved field unchanged in its answers and notices

  @tc.PAYER-01 @req.R-MSG-03 @role.issuer
  Scenario: The SUT tells the acquirer that a purchase was paid from a credit account
    Given a payer account at the SUT holding 100.00 CNY
    And the payer account at the SUT is a credit account
    And the SUT's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the acquirer was told the payer pays from a credit account

  @tc.PAYER-02 @req.R-MSG-03 @role.switch
  Scenario: The SUT switch passes the payer's account type the issuer gave on to the acquirer
    Given a payer account at the wallet-w holding 100.00 CNY
    And the payer account at the wallet-w is a credit account
    And the wallet-w's wallet shows a payment code for that account
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the peer acquirer has had the result notice of the purchase
    And the acquirer was told the payer pays from a credit account

  @tc.PAYER-03 @req.R-MSG-03 @role.issuer
  Scenario: The SUT's wallet names the payer's credit account in an MPM payment
    Given a payer account at the SUT holding 100.00 CNY
    And the payer account at the SUT is a credit account
    And a static merchant code of the peer acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the SUT's wallet and pays 12.00 CNY
    Then the SUT reports the payment as approved
    And the acquirer was told the payer pays from a credit account
