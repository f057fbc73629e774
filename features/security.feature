@area.security
Feature: Message security (报文安全)
  Every message on the interconnection interface is signed with SM3withSM2 by its sender.
  A participant must not act on a message whose signature does not verify.

  @tc.SEC-01 @req.R-SEC-02 @role.issuer
  Scenario: The SUT rejects a purchase that was altered after it was signed
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 20.00 CNY for that payment code, altered after signing
    Then the SUT answers with response code "11"
    And the payer account at the SUT holds 500.00 CNY

  @tc.SEC-02 @req.R-SEC-04 @role.issuer @wire.timestamp
  Scenario: The SUT refuses a correctly signed purchase that was signed ten minutes ago
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 20.00 CNY for that payment code, signed 600 seconds ago
    Then the SUT answers with response code "10"
    And the payer account at the SUT holds 500.00 CNY
