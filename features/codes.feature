@area.codes
Feature: The codes an institution generates (收款码与付款码编码规则)
  Every wallet must read every institution's merchant codes, and every terminal every wallet's
  payment codes. So the codes the SUT generates are checked against the profile's coding
  rules exactly as `qrinterop lint --strict` checks them: every finding is a failure of the
  requirement it names.

  @tc.CODE-01 @role.acquirer
  @req.R-MPM-01 @req.R-MPM-02 @req.R-MPM-03 @req.R-MPM-04 @req.R-MPM-05 @req.R-MPM-06
  @req.R-MPM-07 @req.R-MPM-08 @req.R-MPM-11 @req.R-MPM-13 @req.R-CPM-04
  Scenario: The SUT's static merchant code with a Chinese name follows the coding rules
    When the SUT's acquirer creates a static merchant code for "Lao Beijing Noodles" known locally as "老北京炸酱面" in "北京"
    Then the merchant code passes the profile's code checks in strict mode
    And it is a static merchant code that routes to the SUT as acquirer
    And its language template names the merchant "老北京炸酱面" in "北京"

  @tc.CODE-02 @req.R-MPM-09 @req.R-MPM-12 @req.R-MPM-14 @role.acquirer
  Scenario: The SUT's dynamic merchant code carries its amount and order reference
    When the SUT's acquirer creates a dynamic merchant code for 12.50 CNY
    Then the merchant code passes the profile's code checks in strict mode
    And it is a dynamic merchant code for 12.50 CNY with an order reference

  @tc.CODE-03 @req.R-MPM-15 @role.acquirer
  Scenario: The SUT's printed merchant code is a QR symbol every wallet can read
    When the SUT's acquirer prints a static merchant code for "Lao Beijing Noodles" known locally as "老北京炸酱面"
    Then the printed symbol scans back to exactly the merchant code
    And the printed symbol passes the profile's symbol checks

  @tc.CODE-04 @req.R-CPM-02 @req.R-CPM-04 @role.issuer
  Scenario: The SUT's payment codes route to the SUT and carry no account number
    Given a payer account at the SUT holding 100.00 CNY
    When the SUT's wallet shows a payment code for that account
    Then the payment code passes the profile's code checks in strict mode
    And it is a payment code that routes to the SUT as issuer
