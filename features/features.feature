@area.features
Feature: Optional features the SUT declares (可选功能)
  A feature an ICS declares (the profile's features.json) is exercised in the roles it
  applies to, so that declaring one the SUT does not implement fails. A URL-form collection
  code is only a pointer: the wallet asks the switch about it and pays the order the
  switch's signed answer names, never what the payer or the page typed (R-SEC-03). A
  merchant code's convenience fee (ID 55 with 56 fixed, or 57 per cent) is added to what
  the payer enters, once (R-MPM-10). A UnionPay merchant account in ID 15 is 8 + 8 + 15
  characters (R-MPM-16): a wallet declaring unionpay-id15 pays one and refuses one that is
  not.

  @tc.FEAT-URL-01 @req.R-URL-01 @req.R-SEC-03 @role.issuer @feature.url-codes
  Scenario: The SUT's wallet pays a dynamic URL-form collection code for the order the switch's answer names
    Given a payer account at the SUT holding 100.00 CNY
    And a dynamic merchant code of the acquirer-q's acquirer for 25.00 CNY
    When the payer scans the merchant code in the SUT's wallet and pays 20.00 CNY
    Then the SUT's wallet asked the switch about the URL code
    And the SUT's wallet paid the amount and order of the switch's answer to its inquiry
    And the SUT reports the payment as approved
    And the payer account at the SUT holds 75.00 CNY

  @tc.FEAT-URL-02 @req.R-SEC-03 @role.issuer @feature.url-codes
  Scenario: The SUT's wallet does not pay a URL-form collection code when the switch's answer about it does not verify
    Given a payer account at the SUT holding 100.00 CNY
    And a dynamic merchant code of the acquirer-q's acquirer for 25.00 CNY
    And the switch will spoil its answer to the SUT's next merchant-code inquiry with the fault "bad-signature-answer"
    When the payer scans the merchant code in the SUT's wallet
    Then the SUT's wallet paid nothing
    And the payer account at the SUT holds 100.00 CNY

  @tc.FEAT-TIP-<kind> @req.R-MPM-10 @role.issuer @feature.mpm-tip
  Scenario Outline: The SUT's wallet adds a merchant code's <kind> convenience fee to the amount, once
    Given a payer account at the SUT holding 100.00 CNY
    And a static merchant code of the peer's acquirer for merchant "Tip Cafe" with a <kind> fee of <fee>
    When the payer scans the merchant code in the SUT's wallet and pays 20.00 CNY
    Then the SUT's wallet paid <total>, the fee included once
    And the SUT reports the payment as approved
    And the payer account at the SUT holds <left>

    Examples: the fee's kinds (ID 55 02: fixed, in ID 56; 03: per cent, in ID 57)
      | kind       | fee   | total     | left      |
      | fixed      | 1.50  | 21.50 CNY | 78.50 CNY |
      | percentage | 10.00 | 22.00 CNY | 78.00 CNY |

  @tc.FEAT-ID15-01 @req.R-MPM-16 @role.issuer @feature.unionpay-id15
  Scenario: The SUT's wallet pays a UnionPay ID 15 merchant code, and refuses one whose ID 15 is one character short
    Given a payer account at the SUT holding 100.00 CNY
    And a static merchant code of the bank-u's acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the SUT's wallet and pays 12.00 CNY
    Then the SUT reports the payment as approved
    Given its UnionPay ID 15 lost the last character of its merchant ID
    When the payer scans the merchant code in the SUT's wallet and pays 12.00 CNY
    Then the SUT's wallet refuses the code
    And the payer account at the SUT holds 88.00 CNY
