@area.codes
Feature: Personal and merchant collection codes (个人收款码与商户收款码)
  Since 1 March 2022 (银发〔2021〕259号) an acquirer marks every collection code it issues as a
  merchant's or a person's: a payee with clear business activity gets a merchant code, and a
  personal code is not for remote, non-face-to-face collection. In the interconnection the
  mark travels in the code application (mpm.code_apply, codeOwner), which is what the switch,
  and so the harness, can see. What a payer then does with the code is the same either way.

  @tc.COL-01-<owner> @req.R-FLOW-11 @req.R-FLOW-01 @role.acquirer
  Scenario Outline: The SUT's acquirer applies to the switch for a static <owner> collection code, and a peer wallet pays it
    Given a payer account at the peer holding 100.00 CNY
    When the SUT's acquirer applies to the switch for a static collection code of a <owner> payee "Zhang San Stall"
    Then the SUT's code application to the switch marked the code as a <owner> code
    When the payer scans the merchant code in the peer's wallet and pays 15.00 CNY
    Then the peer reports the payment as approved
    And the SUT's acquirer recorded a credit of 15.00 CNY to the merchant
    And the payer account at the peer holds 85.00 CNY

    Examples: both kinds of collection code
      | owner    |
      | merchant |
      | personal |

  @tc.COL-02 @req.R-FLOW-11 @req.R-MPM-14 @role.acquirer @feature.dynamic-mpm
  Scenario: The SUT's acquirer applies to the switch for a dynamic merchant code, paid once
    Given a payer account at the peer holding 100.00 CNY
    When the SUT's acquirer applies to the switch for a dynamic merchant code for 20.00 CNY
    Then the SUT's code application to the switch marked the code as a merchant code
    When the payer scans the merchant code in the peer's wallet
    Then the peer reports the payment as approved
    When the payer scans the same merchant code in the peer's wallet again
    Then the peer reports the payment as declined with response code "35"
    And the payer account at the peer holds 80.00 CNY
