@area.idempotency
Feature: Idempotency (重复交易)
  Networks retry. A message that arrives twice must never move money twice. How the second
  delivery of the same transaction is answered depends on the receiver's role, as the
  profile's business.json idempotency.identical_repeat says: an issuer or an acquirer,
  reached only through the switch, refuses it as a duplicate (12 重复交易); the switch gives
  the first answer again (features/switch.feature SW-04).

  @tc.IDEM-01 @req.R-FLOW-06 @role.issuer
  Scenario: The SUT debits a purchase delivered twice only once
    Given a payer account at the SUT holding 500.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the switch delivers a purchase of 40.00 CNY for that payment code
    And the switch delivers the same purchase again, with a fresh message ID and nonce
    Then the SUT answers the second delivery as the profile says its issuer answers an identical repeat
    And the payer account at the SUT holds 460.00 CNY
